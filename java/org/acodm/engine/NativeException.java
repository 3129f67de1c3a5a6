package org.acodm.engine;

/** An error reported by the native engine (bad shape, bad id, unreadable checkpoint), with its message. */
public class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NativeException(String message, Throwable cause) {
        super(message, cause);
    }
}
