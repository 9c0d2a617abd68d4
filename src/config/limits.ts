/**
 * The loader's bounds, so that no input can hang it, exhaust its memory or its stack. They are
 * documented in docs/config.md ("Limits") and decision 0009.
 */

/** A config file (or include) larger than this is refused: 10 MiB. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Objects and arrays nested deeper than this in one value are refused. */
export const MAX_DEPTH = 64;

/** `$include` chains longer than this (a includes b includes c ...) are refused. */
export const MAX_INCLUDE_DEPTH = 32;

/** More `$include`s than this followed in one load are refused (each file is still read once). */
export const MAX_INCLUDES = 1000;

/** `${X:-${Y:-...}}` nested deeper than this is refused. */
export const MAX_DEFAULT_NESTING = 8;

/** Aliases (`*name`) in one YAML file may add at most this many values in all (a "billion laughs" is refused). */
export const MAX_ALIAS_VALUES = 100_000;
