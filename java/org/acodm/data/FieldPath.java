package org.acodm.data;

import java.util.Arrays;
import java.util.List;

/**
 * A dotted key path into a JSON object, such as {@code meta.pile_set_name}. Keys that themselves contain
 * dots are not supported; no Pile-like corpus uses them.
 */
public record FieldPath(List<String> keys) {
    public FieldPath {
        keys = List.copyOf(keys);
        if (keys.isEmpty() || keys.stream().anyMatch(String::isEmpty))
            throw new IllegalArgumentException("a field path needs non-empty keys separated by dots, got '" + String.join(".", keys) + "'");
    }

    public static FieldPath parse(String dotted) {
        if (dotted == null || dotted.isBlank()) throw new IllegalArgumentException("empty field path");
        return new FieldPath(Arrays.asList(dotted.split("\\.", -1)));
    }

    int depth() { return keys.size(); }

    @Override public String toString() { return String.join(".", keys); }
}
