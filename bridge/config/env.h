#ifndef BR_ENV_H
#define BR_ENV_H
/*
 * ${NAME} expansion from the environment, for configuration values that may hold credentials.
 * "$${" writes a literal "${". Knows nothing about YAML: problems go to a report callback.
 */

/* Receives one problem, e.g. "environment variable TOKEN is not set" (valid during the call). */
typedef void (*br_env_report_fn)(void *opaque, const char *message);

/*
 * Expands every ${NAME} of text (NAME: a letter or '_', then letters, digits or '_'). Returns
 * the expansion, malloc'd (the caller frees it, scrubbing: it may hold a secret), or NULL after
 * reporting each problem: every unset variable and invalid name, then an unterminated "${"
 * stops the scan. The partial expansion is scrubbed before NULL is returned.
 */
char *br_env_expand(const char *text, br_env_report_fn report, void *opaque);

#endif
