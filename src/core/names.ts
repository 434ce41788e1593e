// Names livegate accepts for users and stream paths (MediaMTX allows letters, digits, '_', '.', '-' and
// '/' in path names; livegate keeps one segment and no leading '.' or '-').

/** User names and stream paths: letters, digits, '_', '-', '.', 1-64 characters, not starting with '.' or '-'. */
export const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
