package org.acodm.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code Map<E, V>} component, E an enum implementing {@link DescribedConstant}, whose entries are keys of
 * the enclosing section: one per constant of E (its YAML name), each of type V and documented by the constant's
 * {@link DescribedConstant#keyDoc()}. A section so gets a key per registered choice (mixing.static, mixing.odm, ...)
 * without one component each. The bound map holds an entry for every constant.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface KeyPerConstant {
}
