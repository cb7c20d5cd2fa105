/* Keeps a library target valid while its module has no sources yet. */
typedef int iosim_empty_translation_unit;
