package org.acodm.config;

/**
 * An enum whose constants document themselves, so a list of choices kept in one place (the mixing methods) is
 * also what the reference page says: {@code {choices}} in a key's {@link Doc} expands to the constants with their
 * {@link #summary()}, and a {@link KeyPerConstant} map gives each constant a key documented by {@link #keyDoc()}.
 */
public interface DescribedConstant {
    /** What choosing this constant means, shown in parentheses after its name; empty when the name says it. */
    String summary();

    /** The description of this constant's own key in a section with a {@link KeyPerConstant} map. */
    String keyDoc();
}
