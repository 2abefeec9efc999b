/* Text for messages (src/base/text.c): the UTF-8 decoder, hostile file text
 * made safe to print, "file:line:column:" places and the caret line. The
 * expected strings are written out by hand from the documented rules. */
#include <stdio.h>
#include <string.h>

#include "base/text.h"
#include "check.h"

static void test_utf8(void)
{
    CHECK_SECTION("al_utf8_char");
    static const struct {
        const char *bytes;
        size_t left, len;
        uint32_t cp;
    } cases[] = {
        {"A", 1, 1, 'A'},
        {"\xc2\xb5", 2, 2, 0xB5},                 /* micro sign */
        {"\xe2\x88\x92", 3, 3, 0x2212},           /* minus sign */
        {"\xf0\x9f\x98\x80", 4, 4, 0x1F600},      /* an emoji */
        {"\xf4\x8f\xbf\xbf", 4, 4, 0x10FFFF},     /* the last code point */
        {"\xc0\xaf", 2, 0, 0},                    /* overlong '/' */
        {"\xe0\x80\xaf", 3, 0, 0},                /* overlong, 3 bytes */
        {"\xed\xa0\x80", 3, 0, 0},                /* a surrogate */
        {"\xf4\x90\x80\x80", 4, 0, 0},            /* past U+10FFFF */
        {"\xe2\x88", 2, 0, 0},                    /* truncated by the text */
        {"\xe2\x88\x92", 2, 0, 0},                /* truncated by left */
        {"\xe2\x28\x92", 3, 0, 0},                /* not a continuation byte */
        {"\x80", 1, 0, 0},                        /* a lone continuation byte */
        {"\xff", 1, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t cp = 0xDEAD;
        size_t n = al_utf8_char((const unsigned char *)cases[i].bytes, cases[i].left, &cp);
        CHECK(n == cases[i].len, "case %zu: length %zu, want %zu", i, n, cases[i].len);
        if (cases[i].len)
            CHECK(cp == cases[i].cp, "case %zu: U+%04X, want U+%04X", i, (unsigned)cp, (unsigned)cases[i].cp);
    }
    uint32_t cp;
    CHECK(al_utf8_char((const unsigned char *)"x", 0, &cp) == 0, "nothing to read");
}

/* al_echo_text of len bytes of s with max, into a buffer of size bytes. */
static void expect_echo(const char *s, size_t len, size_t max, size_t size, const char *want)
{
    char buf[256];
    memset(buf, '#', sizeof buf);
    al_echo_text(s, len, max, buf, size);
    CHECK(strcmp(buf, want) == 0, "echo of '%.*s' (max %zu, size %zu): [%s], want [%s]", (int)len, s, max,
          size, buf, want);
    CHECK(strlen(buf) < size, "fits in %zu bytes", size);
}

static void test_echo(void)
{
    CHECK_SECTION("al_echo_text");
    expect_echo("plain", 5, 40, 44, "plain");
    expect_echo("", 0, 40, 44, "");
    /* the control characters a terminal could act on become '?' */
    expect_echo("a\nb\x1b[31m\x7f", 9, 40, 44, "a?b?[31m?");
    expect_echo("tab\there", 8, 40, 44, "tab?here");
    expect_echo("c1 \xc2\x9b!", 6, 40, 44, "c1 ?!");       /* U+009B, the CSI */
    expect_echo("nul\0x", 5, 40, 44, "nul?x");              /* len, not the NUL, ends it */
    /* UTF-8 is kept; bytes that are not UTF-8 become '?' one each */
    expect_echo("caf\xc3\xa9 \xe2\x88\x92", 9, 40, 44, "caf\xc3\xa9 \xe2\x88\x92");
    expect_echo("\xff\xfe ok \xc0\xaf", 8, 40, 44, "?? ok ??");
    /* exactly max bytes is whole; one more is cut with "..." */
    expect_echo("0123456789", 10, 10, 14, "0123456789");
    expect_echo("0123456789A", 11, 10, 14, "0123456789...");
    /* the cut never splits a character: e-acute would end at byte 11 */
    expect_echo("012345678\xc3\xa9xyz", 14, 10, 14, "012345678...");
    /* a buffer smaller than max + 4 shortens the text to fit "..." */
    expect_echo("0123456789", 10, 40, 8, "0123...");
    expect_echo("0123", 4, 40, 8, "0123");
    expect_echo("abc", 3, 40, 4, "...");
    expect_echo("abc", 3, 40, 3, "");
    char untouched = '#';
    al_echo_text("abc", 3, 40, &untouched, 0);
    CHECK(untouched == '#', "size 0 writes nothing");
}

static void test_error_at(void)
{
    CHECK_SECTION("al_error_at");
    al_error err = {0};
    CHECK(al_error_at(&err, AL_ERR_PARSE, "data.csv", 3, 4, "cell '%s' is not a number", "abc") ==
              AL_ERR_PARSE && err.status == AL_ERR_PARSE, "status returned and stored");
    CHECK(strcmp(err.message, "data.csv:3:4: cell 'abc' is not a number") == 0, "[%s]", err.message);
    al_error_at(&err, AL_ERR_FORMAT, "data.csv", 7, 0, "ragged row");
    CHECK(strcmp(err.message, "data.csv:7: ragged row") == 0, "no column: [%s]", err.message);
    al_error_at(&err, AL_ERR_PARSE, NULL, 2, 12, "bad %d", 1);
    CHECK(strcmp(err.message, "line 2, column 12: bad 1") == 0, "no file: [%s]", err.message);
    al_error_at(&err, AL_ERR_PARSE, NULL, 5, 0, "x");
    CHECK(strcmp(err.message, "line 5: x") == 0, "no file, no column: [%s]", err.message);
    CHECK(al_error_at(NULL, AL_ERR_IO, "f", 1, 1, "x") == AL_ERR_IO, "NULL err: only the status");
    /* the message may be err's own (re-wrapping an earlier error) */
    snprintf(err.message, sizeof err.message, "inner problem");
    al_error_at(&err, AL_ERR_INVALID, "f.txt", 1, 2, "%s", err.message);
    CHECK(strcmp(err.message, "f.txt:1:2: inner problem") == 0, "re-wrapped: [%s]", err.message);
    /* too long: cut to fit, and the cut is marked */
    char big[1500];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    al_error_at(&err, AL_ERR_PARSE, "f", 1, 1, "%s", big);
    size_t n = strlen(err.message);
    CHECK(n == AL_ERROR_MESSAGE_BYTES - 1 && strncmp(err.message, "f:1:1: mmm", 10) == 0 &&
              strcmp(err.message + n - 4, "m...") == 0, "cut with ...: %zu bytes", n);
}

static void test_show_line(void)
{
    CHECK_SECTION("al_error_show_line");
    al_error err = {0};
    al_error_at(&err, AL_ERR_PARSE, NULL, 1, 8, "here");
    al_error_show_line(&err, "ReLU() Tanh()", 13, 8);
    CHECK(strcmp(err.message, "line 1, column 8: here\n  ReLU() Tanh()\n         ^") == 0, "[%s]", err.message);
    /* a tab before the column stays a tab in the caret line; UTF-8 counts
     * one space per character */
    al_error_at(&err, AL_ERR_PARSE, NULL, 1, 7, "x");
    al_error_show_line(&err, "\t\xc3\xa9t\xc3\xa9!", 7, 7);
    CHECK(strcmp(err.message, "line 1, column 7: x\n  \t\xc3\xa9t\xc3\xa9!\n  \t   ^") == 0, "[%s]", err.message);
    /* past the end of the line */
    al_error_at(&err, AL_ERR_PARSE, NULL, 1, 5, "x");
    al_error_show_line(&err, "ab", 2, 5);
    CHECK(strcmp(err.message, "line 1, column 5: x\n  ab\n      ^") == 0, "[%s]", err.message);
    /* column 0 has no place to point at: nothing is added */
    al_error_show_line(&err, "ab", 2, 0);
    CHECK(strcmp(err.message, "line 1, column 5: x\n  ab\n      ^") == 0, "[%s]", err.message);
    /* a long line: a window with "..." on both sides, the caret under its byte */
    char line[400];
    for (size_t i = 0; i < 399; i++)
        line[i] = (char)('a' + i % 26);
    line[399] = '\0';
    line[300] = '@';
    al_error_at(&err, AL_ERR_PARSE, NULL, 1, 301, "x");
    al_error_show_line(&err, line, 399, 301);
    const char *l2 = strchr(err.message, '\n'), *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
    CHECK(l2 && l3 && strncmp(l2, "\n  ...", 6) == 0 && strncmp(l3 - 3, "...", 3) == 0, "window: [%s]", err.message);
    if (l2 && l3) {
        size_t caret = strlen(l3 + 1) - 1; /* offset of '^' on its line */
        CHECK(l3[strlen(l3) - 1] == '^' && caret < (size_t)(l3 - l2 - 1) && l2[1 + caret] == '@',
              "caret under '@': [%s]", err.message);
    }
    /* a message too long for the caret is shortened, the caret kept */
    char big[1500];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    al_error_at(&err, AL_ERR_PARSE, NULL, 1, 2, "%s", big);
    al_error_show_line(&err, "ab", 2, 2);
    const char *tail = "m...\n  ab\n   ^";
    size_t n = strlen(err.message), tl = strlen(tail);
    CHECK(n == AL_ERROR_MESSAGE_BYTES - 1 && strcmp(err.message + n - tl, tail) == 0, "caret kept: %zu bytes", n);
}

int main(void)
{
    test_utf8();
    test_echo();
    test_error_at();
    test_show_line();
    return check_summary("test_text");
}
