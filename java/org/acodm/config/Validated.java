package org.acodm.config;

/**
 * A config section that can tell impossible values apart from merely unusual ones. The loader calls
 * {@link #validate} after binding the section (nested sections first) and reports every problem at once,
 * each with its full dotted key and the file line it came from.
 */
public interface Validated {
    /** Adds one error per impossible value; keys are relative to this section ({@code "lr"}, not {@code "optimizer.lr"}). */
    void validate(ConfigErrors errors);
}
