/*
 * libFuzzer target: the input as a YAML configuration file given to br_conf_load.
 *
 * The file is written to a private temporary directory in which "schemas", "secret.txt" and
 * "secret-two-newlines.txt" link to the unit-test fixtures (tests/unit/fixtures/conf), so the seeds taken
 * from tests/unit/fixtures/conf load as they do in test_conf.c and the fuzzer gets past file loading.
 * On success the loaded configuration is also asked for a few topic names
 * (br_conf_topic_for: exact names and compiled patterns). Checked: a failed load always
 * explains itself (a non-empty message).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/conf.h"

#ifndef BR_FUZZ_SOURCE_DIR
#error "BR_FUZZ_SOURCE_DIR (the source tree) must be defined"
#endif

static char dir[256];
static char conf_path[300];

static void link_fixture(const char *name)
{
    char target[1024];
    char link[512];

    snprintf(target, sizeof(target), "%s/tests/unit/fixtures/conf/%s", BR_FUZZ_SOURCE_DIR, name);
    snprintf(link, sizeof(link), "%s/%s", dir, name);
    if (symlink(target, link) != 0) {
        perror("fuzz_conf: symlink");
        abort();
    }
}

static void remove_dir(void)
{
    static const char *const names[] = {"schemas", "secret.txt", "secret-two-newlines.txt",
                                        "bridge.yaml"};
    char path[512];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");

    (void)argc;
    (void)argv;
    snprintf(dir, sizeof(dir), "%s/fuzz-conf-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz_conf: mkdtemp");
        abort();
    }
    atexit(remove_dir);
    link_fixture("schemas");
    link_fixture("secret.txt");
    link_fixture("secret-two-newlines.txt");
    snprintf(conf_path, sizeof(conf_path), "%s/bridge.yaml", dir);

    /* The variables the seeds (tests/unit/fixtures/conf, examples) expand. */
    setenv("CONF_TEST_SASL", "sasl-pw", 1);
    setenv("CONF_TEST_SR_PASSWORD", "sr-pw", 1);
    setenv("CONF_TEST_SECRET", "tail", 1);
    setenv("SR_PASSWORD", "sr", 1);
    setenv("DISCORD_SECRET", "discord", 1);
    setenv("REPORTS_SECRET", "reports", 1);
    unsetenv("CONF_TEST_UNSET_VARIABLE");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const topics[] = {
        "perscom.tenant1.records_ranks", "perscom.perscom_tenant1.users", "legacy.awards", "",
        "t.users",
    };
    char errstr[4096];
    struct br_conf *conf;
    FILE *file = fopen(conf_path, "wb");

    if (!file) {
        perror("fuzz_conf: fopen");
        abort();
    }
    if (size && fwrite(data, 1, size, file) != size) {
        abort();
    }
    fclose(file);

    errstr[0] = '\0';
    conf = br_conf_load(conf_path, errstr, sizeof(errstr));
    if (!conf) {
        if (errstr[0] == '\0') {
            fprintf(stderr, "br_conf_load failed without a message\n");
            abort();
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        (void)br_conf_topic_for(conf, topics[i]);
    }
    br_conf_destroy(conf);
    return 0;
}
