package org.acodm.report;

/** A run directory whose files cannot be read as a run (missing run.json, a corrupt line); the message names the file. */
public final class RunDataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RunDataException(String message) { super(message); }

    public RunDataException(String message, Throwable cause) { super(message, cause); }
}
