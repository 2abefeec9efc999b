/* Embedding: `cmake --install` of this build into a fresh prefix, then a
 * small program compiled with the installed header and pkg-config's flags
 * runs against the installed libactlab.so with no LD_LIBRARY_PATH: the
 * pkg-config file is relocatable and carries an rpath (docs/embedding.md).
 * Skipped in a sanitizer build, whose library needs the sanitizer runtime
 * in the program too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static const char program[] =
    "#include <actlab/actlab.h>\n"
    "#include <stdio.h>\n"
    "int main(void)\n"
    "{\n"
    "    al_net *net = NULL;\n"
    "    al_error err = {0};\n"
    "    if (al_net_create(\"Linear(2, 3), ReLU(), Linear(3, 4)\", NULL, &net, &err) != AL_OK) {\n"
    "        puts(err.message);\n"
    "        return 1;\n"
    "    }\n"
    "    printf(\"outputs %zu\\n\", al_net_out_features(net));\n"
    "    al_net_free(net);\n"
    "    return 0;\n"
    "}\n";

int main(void)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)program;
    fprintf(stderr, "   skipped: a sanitizer build\n");
    return check_summary("test_install");
#else
    char dir[] = "/tmp/actlab_install_XXXXXX", build[512], cmd[4096];
    if (!mkdtemp(dir))
        return 1;
    snprintf(build, sizeof build, "%s", AL_CLI);
    char *slash = strrchr(build, '/');
    if (slash)
        *slash = '\0';
    snprintf(cmd, sizeof cmd, "cmake --install '%s' --prefix '%s/prefix' >'%s/install.log' 2>&1", build, dir, dir);
    CHECK(system(cmd) == 0, "cmake --install (see %s/install.log)", dir);
    char source[600];
    snprintf(source, sizeof source, "%s/p.c", dir);
    FILE *f = fopen(source, "w");
    CHECK(f && fputs(program, f) >= 0, "write p.c");
    if (f)
        fclose(f);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && export PKG_CONFIG_PATH='%s/prefix/lib/pkgconfig' && "
             "cc -std=c11 p.c $(pkg-config --cflags --libs actlab) -o p >build.log 2>&1 && "
             "env -u LD_LIBRARY_PATH ./p >out.txt 2>&1 && grep -q 'outputs 4' out.txt && "
             "ldd ./p | grep -q '%s/prefix/.*libactlab.so'", dir, dir, dir);
    CHECK(system(cmd) == 0, "the program builds with pkg-config and runs against the installed library (see %s)",
          dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (CHECK_STATE->failures == 0)
        CHECK(system(cmd) == 0, "cleanup");
    return check_summary("test_install");
#endif
}
