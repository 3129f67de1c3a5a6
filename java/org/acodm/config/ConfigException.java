package org.acodm.config;

import java.util.List;

/**
 * One or more configuration errors, each already formatted as {@code source[:line]: message} so that the
 * CLI can print the exception message as is.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final List<String> errors;

    public ConfigException(List<String> errors) {
        super(format(errors));
        this.errors = List.copyOf(errors);
    }

    public ConfigException(String error) {
        this(List.of(error));
    }

    /** Every error, in the order found. */
    public List<String> errors() { return errors; }

    private static String format(List<String> errors) {
        if (errors.size() == 1) return errors.get(0);
        return errors.size() + " configuration errors:\n  " + String.join("\n  ", errors);
    }
}
