"""Writers of the files a run produces. Every writer writes to a temporary file
in the target folder and renames it into place, so a crash never leaves a
half-written output behind."""
