/** Process exit codes of every wscam command (README, Commands); the unit does not restart on EXIT_BAD_CONFIG. */
export const EXIT_OK = 0;
export const EXIT_FATAL = 1;
export const EXIT_BAD_CONFIG = 2;
