/* The spec parser: every accepted form against values written out by hand,
 * and every error path with its line, column, message and caret line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "actlab/spec.h"
#include "check.h"

static al_spec *parse_ok(const char *text)
{
    al_spec *spec = NULL;
    al_error err = {0};
    al_status st = al_spec_parse(text, &spec, &err);
    CHECK(st == AL_OK && spec != NULL, "'%s' should parse: %s", text, err.message);
    return st == AL_OK ? spec : NULL;
}

/* The caret line al_spec_error_at should give for (line, column) of text:
 * the source line's tabs kept, every other byte a space. */
static void expected_context(const char *text, int line, int column, char *out, size_t size)
{
    const char *p = text;
    for (int l = 1; l < line && p; l++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    size_t len = p ? strcspn(p, "\n") : 0;
    size_t n = (size_t)snprintf(out, size, "\n  %.*s\n  ", (int)len, p ? p : "");
    for (int c = 1; c < column && n + 2 < size; c++)
        out[n++] = (p && (size_t)(c - 1) < len && p[c - 1] == '\t') ? '\t' : ' ';
    out[n++] = '^';
    out[n] = '\0';
}

static void expect_error_at(const char *text, int line, int column, const char *needle)
{
    al_spec *spec = (al_spec *)&spec; /* must be reset to NULL on failure */
    al_error err = {0};
    al_status st = al_spec_parse(text, &spec, &err);
    CHECK(st == AL_ERR_PARSE, "'%s' should fail with a parse error, got %d: %s", text, (int)st,
          err.message);
    CHECK(spec == NULL, "'%s': out is NULL after a failure", text);
    CHECK(err.status == AL_ERR_PARSE, "'%s': err.status", text);
    char head[64];
    snprintf(head, sizeof head, "line %d, column %d: ", line, column);
    CHECK(strncmp(err.message, head, strlen(head)) == 0, "'%s': message '%s' should start '%s'",
          text, err.message, head);
    CHECK(strstr(err.message, needle) != NULL, "'%s': message '%s' lacks '%s'", text, err.message,
          needle);
    char context[512];
    expected_context(text, line, column, context, sizeof context);
    const char *nl = strchr(err.message, '\n');
    CHECK(nl && strcmp(nl, context) == 0, "'%s': context\n[%s]\nwant\n[%s]", text, nl ? nl : "",
          context);
    if (st == AL_OK)
        al_spec_free(spec);
}

static void check_number(const al_spec_arg *a, double want, int is_integer, const char *what)
{
    CHECK(a->type == AL_SPEC_NUMBER, "%s: type %d", what, (int)a->type);
    CHECK(a->is_integer == is_integer, "%s: is_integer %d, want %d", what, a->is_integer, is_integer);
    if (isnan(want))
        CHECK(isnan(a->number), "%s: %g should be NaN", what, a->number);
    else
        CHECK(a->number == want && signbit(a->number) == signbit(want), "%s: %.17g, want %.17g",
              what, a->number, want);
}

static void test_mlp(void)
{
    al_spec *s = parse_ok("Linear(784, 256), ReLU(), Linear(256, 256), ELU(alpha=0.5), Linear(256, 10)");
    if (!s)
        return;
    CHECK(s->n_modules == 5, "%d modules", s->n_modules);
    static const char *const names[] = {"Linear", "ReLU", "Linear", "ELU", "Linear"};
    static const int columns[] = {1, 19, 27, 45, 61};
    static const int n_args[] = {2, 0, 2, 1, 2};
    for (int i = 0; i < 5 && i < s->n_modules; i++) {
        CHECK(strcmp(s->modules[i].name, names[i]) == 0, "module %d is %s", i, s->modules[i].name);
        CHECK(s->modules[i].line == 1 && s->modules[i].column == columns[i], "module %d at %d:%d", i,
              s->modules[i].line, s->modules[i].column);
        CHECK(s->modules[i].n_args == n_args[i], "module %d has %d args", i, s->modules[i].n_args);
    }
    CHECK(s->modules[1].args == NULL, "no args, no array");
    const al_spec_arg *a = s->modules[0].args;
    check_number(&a[0], 784, 1, "Linear arg 1");
    check_number(&a[1], 256, 1, "Linear arg 2");
    CHECK(a[0].key == NULL && a[1].key == NULL, "positional");
    CHECK(a[0].line == 1 && a[0].column == 8 && a[1].column == 13, "arg columns %d %d", a[0].column,
          a[1].column);
    CHECK(a[0].key_line == 1 && a[0].key_column == 8, "positional key position = value's");
    a = s->modules[3].args;
    CHECK(a[0].key && strcmp(a[0].key, "alpha") == 0, "ELU key");
    check_number(&a[0], 0.5, 0, "alpha");
    CHECK(a[0].key_line == 1 && a[0].key_column == 49 && a[0].line == 1 && a[0].column == 55,
          "alpha at %d:%d, value at %d:%d", a[0].key_line, a[0].key_column, a[0].line, a[0].column);
    check_number(&s->modules[4].args[1], 10, 1, "last");
    CHECK(strcmp(s->source, "Linear(784, 256), ReLU(), Linear(256, 256), ELU(alpha=0.5), Linear(256, 10)") == 0,
          "source kept");
    al_spec_free(s);
    al_spec_free(NULL);
}

static void test_multiline(void)
{
    const char *text =
        "# a small MLP\n"
        "\n"
        "Linear(784, 256)   # hidden\n"
        "ReLU()\n"
        "\n"
        "\n"
        "  Linear(256,\n"
        "\t   10,\n"
        "         bias = False,  # trailing comma next\n"
        "  ),\n"
        "Softmax(dim=1),\n"
        "# the end\n";
    al_spec *s = parse_ok(text);
    if (!s)
        return;
    CHECK(s->n_modules == 4, "%d modules", s->n_modules);
    if (s->n_modules == 4) {
        CHECK(s->modules[0].line == 3 && s->modules[0].column == 1, "Linear at 3:1");
        CHECK(s->modules[1].line == 4 && strcmp(s->modules[1].name, "ReLU") == 0, "ReLU on line 4");
        CHECK(s->modules[2].line == 7 && s->modules[2].column == 3, "Linear at 7:3, got %d:%d",
              s->modules[2].line, s->modules[2].column);
        const al_spec_arg *a = s->modules[2].args;
        CHECK(s->modules[2].n_args == 3, "3 args, got %d", s->modules[2].n_args);
        CHECK(a[1].line == 8 && a[1].column == 5, "10 at 8:5 (tab = 1 column), got %d:%d", a[1].line,
              a[1].column);
        CHECK(a[2].key && strcmp(a[2].key, "bias") == 0 && a[2].type == AL_SPEC_BOOL && a[2].boolean == 0,
              "bias=False");
        CHECK(a[2].key_line == 9 && a[2].key_column == 10 && a[2].line == 9 && a[2].column == 17,
              "bias key at %d:%d value %d:%d", a[2].key_line, a[2].key_column, a[2].line, a[2].column);
        CHECK(s->modules[3].line == 11 && s->modules[3].args[0].key_column == 9, "Softmax(dim=1)");
    }
    al_spec_free(s);

    /* CRLF line ends, commas and newlines mixed, several newlines in a row */
    s = parse_ok("ReLU()\r\n\r\nTanh(),\nSigmoid(),");
    if (s) {
        CHECK(s->n_modules == 3 && s->modules[2].line == 4, "CRLF: %d modules", s->n_modules);
        al_spec_free(s);
    }
    s = parse_ok("ReLU(),Tanh()\n");
    if (s) {
        CHECK(s->n_modules == 2 && s->modules[1].column == 8, "no spaces");
        al_spec_free(s);
    }
    s = parse_ok("  ReLU ( ) ");
    if (s) {
        CHECK(s->n_modules == 1 && s->modules[0].column == 3, "spaces around the parenthesis");
        al_spec_free(s);
    }
    s = parse_ok("Linear(\n  in_features=784,\n  out_features=10\n)");
    if (s) {
        CHECK(s->n_modules == 1 && s->modules[0].n_args == 2 && s->modules[0].args[1].key_line == 3,
              "keywords across lines");
        al_spec_free(s);
    }
    s = parse_ok("ELU(alpha\n  =\n  0.5)");
    if (s) {
        CHECK(s->modules[0].args[0].key_line == 1 && s->modules[0].args[0].line == 3 &&
                  s->modules[0].args[0].column == 3, "newlines around '='");
        al_spec_free(s);
    }
}

static void test_sequential(void)
{
    const char *printed =
        "Sequential(\n"
        "  Linear(in_features=784, out_features=256, bias=True),\n"
        "  ReLU(),\n"
        "  Linear(in_features=256, out_features=10, bias=True)\n"
        ")\n";
    al_spec *s = parse_ok(printed);
    if (s) {
        CHECK(s->n_modules == 3, "Sequential: %d modules", s->n_modules);
        if (s->n_modules == 3) {
            CHECK(strcmp(s->modules[0].name, "Linear") == 0 && s->modules[0].line == 2 &&
                      s->modules[0].column == 3, "first module inside the wrapper");
            CHECK(s->modules[0].n_args == 3 && s->modules[0].args[2].boolean == 1, "bias=True");
            CHECK(strcmp(s->modules[2].name, "Linear") == 0 && s->modules[2].line == 4, "last");
        }
        al_spec_free(s);
    }
    s = parse_ok("Sequential(ReLU(), Tanh(),)");
    if (s) {
        CHECK(s->n_modules == 2, "one-line wrapper with trailing comma");
        al_spec_free(s);
    }
    s = parse_ok("# model\nSequential (\n  ReLU()\n\n  Tanh()\n)  # done\n\n");
    if (s) {
        CHECK(s->n_modules == 2 && s->modules[1].line == 5, "newline-separated wrapper");
        al_spec_free(s);
    }
    s = parse_ok("Sequential(ReLU()\n)");
    if (s) {
        CHECK(s->n_modules == 1, "newline before ')'");
        al_spec_free(s);
    }
}

static void test_values(void)
{
    al_spec *s = parse_ok("M('tanh', \"it's\", 'say \"hi\"', 'a\\\\b\\'c\\\"d\\ne', \"\", '# not a comment', "
                          "'caf\xc3\xa9', True, False, None, flag=None)");
    if (!s)
        return;
    const al_spec_arg *a = s->modules[0].args;
    CHECK(s->modules[0].n_args == 11, "%d args", s->modules[0].n_args);
    if (s->modules[0].n_args == 11) {
        static const char *const want[] = {"tanh", "it's", "say \"hi\"", "a\\b'c\"d\ne", "",
                                           "# not a comment", "caf\xc3\xa9"};
        for (int i = 0; i < 7; i++)
            CHECK(a[i].type == AL_SPEC_STRING && strcmp(a[i].string, want[i]) == 0,
                  "string %d: [%s], want [%s]", i, a[i].type == AL_SPEC_STRING ? a[i].string : "?",
                  want[i]);
        CHECK(a[0].column == 3 && a[1].column == 11, "string columns at the quote");
        CHECK(a[7].type == AL_SPEC_BOOL && a[7].boolean == 1, "True");
        CHECK(a[8].type == AL_SPEC_BOOL && a[8].boolean == 0, "False");
        CHECK(a[9].type == AL_SPEC_NONE && a[9].key == NULL, "None");
        CHECK(a[10].type == AL_SPEC_NONE && strcmp(a[10].key, "flag") == 0, "flag=None");
    }
    al_spec_free(s);

    static const struct {
        const char *text;
        double value;
        int is_integer;
    } numbers[] = {
        {"0", 0, 1},          {"42", 42, 1},        {"-7", -7, 1},          {"+3", 3, 1},
        {"007", 7, 1},        {"-0", -0.0, 1},      {"0.5", 0.5, 0},        {".5", 0.5, 0},
        {"5.", 5, 0},         {"-0.0", -0.0, 0},    {"-.25", -0.25, 0},     {"1e-3", 1e-3, 0},
        {"1E3", 1000, 0},     {"2.5e+2", 250, 0},   {"-1.5e-2", -0.015, 0}, {"1e0", 1, 0},
        {"inf", INFINITY, 0}, {"-inf", -INFINITY, 0}, {"+Inf", INFINITY, 0}, {"INF", INFINITY, 0},
        {"Infinity", INFINITY, 0}, {"nan", NAN, 0}, {"NaN", NAN, 0},        {"-nan", NAN, 0},
        {"1e-999", 0, 0},     {"1.7976931348623157e308", 1.7976931348623157e308, 0},
        {"123456789012345678901234567890", 1.2345678901234568e29, 1},
        {"0.1", 0.1, 0},
    };
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "M(%s, x=%s)", numbers[i].text, numbers[i].text);
        s = parse_ok(text);
        if (!s)
            continue;
        CHECK(s->modules[0].n_args == 2, "%s: 2 args", text);
        check_number(&s->modules[0].args[0], numbers[i].value, numbers[i].is_integer, text);
        check_number(&s->modules[0].args[1], numbers[i].value, numbers[i].is_integer, text);
        al_spec_free(s);
    }
}

/* al_spec_error_at as other modules use it: pointing into a parsed spec. */
static void test_error_at(void)
{
    al_spec *s = parse_ok("ReLU()\n\tELU(alpha='x')\n");
    if (!s)
        return;
    const al_spec_arg *a = &s->modules[1].args[0];
    CHECK(a->line == 2 && a->column == 12, "alpha value at %d:%d", a->line, a->column);
    al_error err = {0};
    al_status st = al_spec_error_at(s, a->line, a->column, &err, AL_ERR_INVALID,
                                    "%s(alpha=...) takes %s", "ELU", "a number");
    CHECK(st == AL_ERR_INVALID && err.status == AL_ERR_INVALID, "status returned and stored");
    CHECK(strcmp(err.message, "line 2, column 12: ELU(alpha=...) takes a number\n"
                              "  \tELU(alpha='x')\n"
                              "  \t          ^") == 0,
          "tab kept in the caret line: [%s]", err.message);
    /* the message may come from err itself (a caller re-wrapping an error) */
    snprintf(err.message, sizeof err.message, "unknown activation 'Elu'");
    al_spec_error_at(s, 2, 2, &err, AL_ERR_INVALID, "%s", err.message);
    CHECK(strcmp(err.message, "line 2, column 2: unknown activation 'Elu'\n  \tELU(alpha='x')\n  \t^") == 0,
          "re-wrapped: [%s]", err.message);
    /* no err: only the status */
    CHECK(al_spec_error_at(s, 1, 1, NULL, AL_ERR_PARSE, "x") == AL_ERR_PARSE, "NULL err");
    /* no spec, or a line past the end: no context, still the position */
    al_spec_error_at(NULL, 3, 4, &err, AL_ERR_PARSE, "no source %d", 1);
    CHECK(strcmp(err.message, "line 3, column 4: no source 1") == 0, "[%s]", err.message);
    al_spec_error_at(s, 9, 1, &err, AL_ERR_PARSE, "far");
    CHECK(strcmp(err.message, "line 9, column 1: far") == 0, "[%s]", err.message);
    /* the empty line after the last newline */
    al_spec_error_at(s, 3, 1, &err, AL_ERR_PARSE, "end");
    CHECK(strcmp(err.message, "line 3, column 1: end\n  \n  ^") == 0, "[%s]", err.message);
    /* a caret past the end of the line */
    al_spec_error_at(s, 1, 8, &err, AL_ERR_PARSE, "after");
    CHECK(strcmp(err.message, "line 1, column 8: after\n  ReLU()\n         ^") == 0, "[%s]", err.message);
    /* a huge message is cut, the caret line kept */
    char big[2000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    al_spec_error_at(s, 2, 12, &err, AL_ERR_PARSE, "%s", big);
    CHECK(strlen(err.message) < AL_ERROR_MESSAGE_BYTES, "fits");
    const char *tail = "...\n  \tELU(alpha='x')\n  \t          ^";
    size_t ml = strlen(err.message), tl = strlen(tail);
    CHECK(ml > tl && strcmp(err.message + ml - tl, tail) == 0, "long message keeps the caret");
    al_spec_free(s);

    /* UTF-8 before the caret: one space per character, not per byte */
    s = parse_ok("M('\xc3\xa9t\xc3\xa9', 1)");
    if (s) {
        const al_spec_arg *b = &s->modules[0].args[1];
        CHECK(b->column == 12, "columns count bytes: %d", b->column);
        al_spec_error_at(s, b->line, b->column, &err, AL_ERR_INVALID, "bad");
        CHECK(strcmp(err.message, "line 1, column 12: bad\n  M('\xc3\xa9t\xc3\xa9', 1)\n           ^") == 0,
              "utf-8 caret: [%s]", err.message);
        al_spec_free(s);
    }

    /* a very long line is shown as a window around the column */
    char longline[1200];
    size_t n = 0;
    n += (size_t)snprintf(longline + n, sizeof longline - n, "M(");
    for (int i = 0; i < 150; i++)
        n += (size_t)snprintf(longline + n, sizeof longline - n, "%d, ", i % 10);
    n += (size_t)snprintf(longline + n, sizeof longline - n, "x=1)");
    s = parse_ok(longline);
    if (s) {
        const al_spec_arg *x = &s->modules[0].args[150];
        al_spec_error_at(s, x->key_line, x->key_column, &err, AL_ERR_INVALID, "bad x");
        const char *l2 = strchr(err.message, '\n');
        const char *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
        CHECK(l2 && l3 && strncmp(l2, "\n  ...", 6) == 0, "window starts with ...: [%s]", err.message);
        CHECK(l3 && strlen(l3) < 140 && l3[strlen(l3) - 1] == '^', "caret line short");
        /* the caret is under the 'x' */
        if (l2 && l3) {
            size_t caret = strlen(l3 + 1) - 1; /* offset of '^' in line 3 */
            CHECK(caret < (size_t)(l3 - l2 - 1) && l2[1 + caret] == 'x', "caret under x: [%s]", err.message);
        }
        al_spec_free(s);
    }
}

static void test_errors(void)
{
    /* empty */
    expect_error_at("", 1, 1, "the spec is empty: expected a module such as Linear(784, 10)");
    expect_error_at("   \n\t\n", 3, 1, "the spec is empty");
    expect_error_at("# only a comment\n# and another", 2, 14, "the spec is empty");
    expect_error_at("Sequential()", 1, 12, "the spec is empty");
    expect_error_at("Sequential(\n  # nothing\n)", 3, 1, "the spec is empty");

    /* module level */
    expect_error_at("Linear(784 256)", 1, 12, "expected ')' or ',' after argument 1 of Linear, found '256'");
    expect_error_at("Linear(784, 256", 1, 16,
                    "expected ')' or ',' after argument 2 of Linear, found the end of the spec");
    expect_error_at("Linear(", 1, 8, "expected a value (a number, True, False, None, a quoted string or a tuple) "
                                     "for argument 1 of Linear, found the end of the spec");
    expect_error_at("ReLU", 1, 5, "expected '(' after ReLU (a module is written like ReLU()), found the end");
    expect_error_at("ReLU, Tanh()", 1, 5, "expected '(' after ReLU");
    expect_error_at("ReLU\n()", 1, 5, "found a newline");
    expect_error_at("ReLU() Tanh()", 1, 8, "expected ',' or a newline after ReLU(...), found 'Tanh'");
    expect_error_at("ReLU(), , Tanh()", 1, 9, "expected a module name such as Linear, found ','");
    expect_error_at(",ReLU()", 1, 1, "expected a module name such as Linear, found ','");
    expect_error_at("ReLU()\n  42()", 2, 3, "expected a module name such as Linear, found '42'");
    expect_error_at("ReLU())", 1, 7, "expected ',' or a newline after ReLU(...), found ')'");
    expect_error_at("ReLU(", 1, 6, "found the end of the spec");
    expect_error_at("Linear(1,, 2)", 1, 10, "for argument 2 of Linear, found ','");
    expect_error_at("Linear(,)", 1, 8, "for argument 1 of Linear, found ','");

    /* unexpected characters */
    expect_error_at("$Linear(1, 2)", 1, 1, "unexpected character '$': expected a module name");
    expect_error_at("Linear(1, $)", 1, 11, "unexpected character '$'");
    expect_error_at("ReLU() ; Tanh()", 1, 8, "unexpected character ';'");
    expect_error_at("Linear(1, 2) @", 1, 14, "unexpected character '@'");
    expect_error_at("M(\xc3\xa9)", 1, 3, "unexpected byte 0xC3");
    expect_error_at("M(1)\x01", 1, 5, "unexpected byte 0x01");
    expect_error_at("M[1]", 1, 2, "unexpected character '['");

    /* keywords */
    expect_error_at("ELU(alpha=)", 1, 11, "expected a value after 'alpha=', found ')'");
    expect_error_at("ELU(alpha=", 1, 11, "expected a value after 'alpha=', found the end of the spec");
    expect_error_at("ELU(alpha=0.5, 1.0)", 1, 16, "positional argument after keyword argument");
    expect_error_at("M(x=1, True)", 1, 8, "positional argument after keyword argument in M");
    expect_error_at("M(x=1,\n  'a')", 2, 3, "positional argument after keyword argument");
    expect_error_at("ELU(alpha=1, ,)", 1, 14,
                    "expected a keyword argument (name=value) or ')' after argument 1 of ELU, found ','");
    expect_error_at("ELU(alpha=1, $)", 1, 14, "unexpected character '$': expected a keyword argument");
    expect_error_at("ELU(alpha=1, alpha=2)", 1, 14, "duplicate keyword 'alpha'");
    expect_error_at("ELU(alpha=1,\n    alpha=2)", 2, 5, "first at line 1, column 5");
    expect_error_at("ELU(alpha==1)", 1, 11, "expected a value after 'alpha=', found '='");
    expect_error_at("ELU(=1)", 1, 5, "for argument 1 of ELU, found '='");
    expect_error_at("ELU(alpha=$)", 1, 11, "unexpected character '$': expected a value after 'alpha='");

    /* values */
    expect_error_at("GELU(approximate=tanh)", 1, 18, "found 'tanh' (a string needs quotes: 'tanh')");
    expect_error_at("Linear(10, 5, bias=true)", 1, 20, "write True, False and None with a capital letter");
    expect_error_at("M(none)", 1, 3, "found 'none'");
    expect_error_at("M(foo)", 1, 3, "expected a value (a number, True, False, None, a quoted string or a tuple) "
                                    "for argument 1 of M, found 'foo'");
    expect_error_at("M(Linear(1, 2))", 1, 3, "found 'Linear' (modules cannot be nested");
    expect_error_at("ReLU()\n,\n,Tanh()", 2, 1, "expected a module name such as Linear, found ','");

    /* strings */
    expect_error_at("M('tanh)", 1, 3, "unterminated string: expected a closing ' before the end of the spec");
    expect_error_at("M(\"tanh)\nReLU()", 1, 3, "unterminated string: expected a closing \" before the end of the line");
    expect_error_at("M('ab\\')", 1, 3, "unterminated string");
    expect_error_at("M('a\\\nb')", 1, 3, "unterminated string");
    expect_error_at("M('a\\tb')", 1, 5, "unknown escape '\\t' in a string");
    expect_error_at("M('a\\\x01')", 1, 5, "unknown escape in a string");
    expect_error_at("M('a' 'b')", 1, 7, "after argument 1 of M, found a string");

    /* numbers */
    expect_error_at("M(1e999)", 1, 3, "number out of range");
    expect_error_at("M(-1e999)", 1, 3, "number out of range");
    expect_error_at("M(x=1e)", 1, 5, "malformed number '1e': expected digits after the exponent 'e'");
    expect_error_at("M(1e+)", 1, 3, "malformed number '1e+': expected digits after the exponent");
    expect_error_at("M(1.2.3)", 1, 3, "malformed number '1.2.3'");
    expect_error_at("M(12abc)", 1, 3, "malformed number '12abc'");
    expect_error_at("M(1_000)", 1, 3, "malformed number '1_000'");
    expect_error_at("M(0x10)", 1, 3, "malformed number '0x10'");
    expect_error_at("M(.)", 1, 3, "malformed number '.': expected digits");
    expect_error_at("M(-)", 1, 3, "malformed number '-': expected digits");
    expect_error_at("M(+.e5)", 1, 3, "malformed number '+.e5': expected digits");
    expect_error_at("M(-foo)", 1, 3, "expected a number after '-', found 'foo'");
    expect_error_at("M(infx)", 1, 3, "found 'infx'");
    expect_error_at("M(1e5x)", 1, 3, "malformed number '1e5x'");
    expect_error_at("M(1 2)", 1, 5, "after argument 1 of M, found '2'");

    /* multi-line positions, tabs in the caret line */
    expect_error_at("Linear(784, 256)\nReLU()\nLinear(256,\n\t10 20)", 4, 5,
                    "after argument 2 of Linear, found '20'");
    expect_error_at("ReLU()\n\t\tELU(alpha=1 x)", 2, 15, "after argument 1 of ELU, found 'x'");
    expect_error_at("ReLU()\r\nTanh( %)", 2, 7, "unexpected character '%'");

    /* the Sequential wrapper */
    expect_error_at("Sequential(ReLU()", 1, 18,
                    "expected ',' or a newline or ')' after ReLU(...), found the end of the spec");
    expect_error_at("Sequential(ReLU(),", 1, 19, "expected a module or ')' to close Sequential(");
    expect_error_at("Sequential(", 1, 12, "expected a module such as Linear(784, 10) or ')' to close Sequential(");
    expect_error_at("Sequential(ReLU()), Tanh()", 1, 19,
                    "expected the end of the spec after Sequential(...), found ','");
    expect_error_at("Sequential(ReLU() Tanh())", 1, 19, "after ReLU(...), found 'Tanh'");
    expect_error_at("Sequential", 1, 11, "expected '(' after Sequential");

    /* the parse API itself */
    al_error err = {0};
    al_spec *s = NULL;
    CHECK(al_spec_parse(NULL, &s, &err) == AL_ERR_INVALID && s == NULL, "NULL text");
    CHECK(al_spec_parse("ReLU()", NULL, &err) == AL_ERR_INVALID, "NULL out");
    CHECK(al_spec_parse("ReLU(", &s, NULL) == AL_ERR_PARSE && s == NULL, "NULL err is fine");
}

/* Tuples: kernel_size=(5, 5) as PyTorch prints it, lists, a one-tuple,
 * and a parenthesised number that is just a number. */
static void test_tuples(void)
{
    al_spec *s = parse_ok("Conv2d(1, 32, kernel_size=(5, 5), stride=[2, 1], padding=( 1 , 2 ,), d=(3,), e=(4))");
    if (!s)
        return;
    const al_spec_arg *a = s->modules[0].args;
    CHECK(s->modules[0].n_args == 7, "7 arguments, got %d", s->modules[0].n_args);
    CHECK(a[2].type == AL_SPEC_TUPLE && a[2].n_items == 2 && a[2].items[0] == 5 && a[2].items[1] == 5 &&
              a[2].items_integer, "kernel_size=(5, 5)");
    CHECK(a[3].type == AL_SPEC_TUPLE && a[3].n_items == 2 && a[3].items[0] == 2 && a[3].items[1] == 1,
          "stride=[2, 1]");
    CHECK(a[4].type == AL_SPEC_TUPLE && a[4].n_items == 2 && a[4].items[1] == 2, "a trailing comma");
    CHECK(a[5].type == AL_SPEC_TUPLE && a[5].n_items == 1 && a[5].items[0] == 3, "(3,) is a tuple of one");
    check_number(&a[6], 4, 1, "(4) is the number 4");
    CHECK(a[2].line == 1 && a[2].column == 27, "the tuple starts at its '(': column %d", a[2].column);
    al_spec_free(s);
    s = parse_ok("Unflatten(1, (1, 28.5, -2, 1e3))");
    if (s) {
        a = s->modules[0].args;
        CHECK(a[1].type == AL_SPEC_TUPLE && a[1].n_items == 4 && !a[1].items_integer && a[1].items[3] == 1000,
              "four numbers, not all integers");
        al_spec_free(s);
    }
    expect_error_at("Conv2d(1, 2, ())", 1, 14, "an empty tuple");
    expect_error_at("Conv2d(1, 2, (1, 2, 3, 4, 5))", 1, 14, "at most 4 numbers");
    expect_error_at("Conv2d(1, 2, (1 2))", 1, 17, "',' or ')' in the tuple");
    expect_error_at("Conv2d(1, 2, [1, 'a'])", 1, 18, "a number or ']' in the list");
    expect_error_at("Conv2d(1, 2, (1, 2)", 1, 20, "')' or ',' after argument 3 of Conv2d");
}

int main(void)
{
    CHECK_SECTION("tuples");
    test_tuples();
    CHECK_SECTION("the example MLP");
    test_mlp();
    CHECK_SECTION("multi-line specs and comments");
    test_multiline();
    CHECK_SECTION("the Sequential wrapper");
    test_sequential();
    CHECK_SECTION("values");
    test_values();
    CHECK_SECTION("al_spec_error_at");
    test_error_at();
    CHECK_SECTION("errors");
    test_errors();
    return check_summary("test_spec");
}
