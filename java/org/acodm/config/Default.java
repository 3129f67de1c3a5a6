package org.acodm.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The default of a config key, written beside it as it would be written in a config file: YAML for numbers,
 * booleans, enums, lists and maps ({@code "0.95"}, {@code "true"}, {@code "micro_batch"}, {@code "[]"},
 * {@code "{}"}), the text itself for strings and paths ({@code "auto"}, {@code ""}). The loader binds it like a
 * value from a file, so a default has the key's type or the section does not load. A key without one defaults to
 * null (a primitive key must have one); a nested section takes its own record's defaults.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Default {
    String value();
}
