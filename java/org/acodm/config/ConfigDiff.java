package org.acodm.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The dotted keys at which two configurations differ, e.g. to refuse resuming a checkpoint written under
 * another configuration. Sections and maps are compared key by key; lists and scalars as whole values;
 * numbers by value (a checkpoint's {@code 1} equals the current {@code 1.0}).
 */
public final class ConfigDiff {
    /** One differing key; {@code left}/{@code right} are the values as JSON text, {@code <absent>} when missing. */
    public record Difference(String key, String left, String right) {
        @Override public String toString() { return key + ": " + left + " vs " + right; }
    }

    private ConfigDiff() {}

    /** Compares two section records, two trees, or one of each (a record is converted with {@link ConfigWriter#toNode}). */
    public static List<Difference> between(Object left, Object right) {
        List<Difference> out = new ArrayList<>();
        compare("", ConfigWriter.toNode(left), ConfigWriter.toNode(right), out);
        return out;
    }

    /** As {@link #between}, leaving out keys equal to or under any of {@code ignoredKeys} (e.g. "train.steps", "run.name"). */
    public static List<Difference> between(Object left, Object right, Set<String> ignoredKeys) {
        List<Difference> all = between(left, right);
        all.removeIf(d -> ignoredKeys.stream().anyMatch(k -> d.key().equals(k) || d.key().startsWith(k + ".")));
        return all;
    }

    /** One line per difference, for an error message. */
    public static String describe(List<Difference> diffs) {
        StringBuilder sb = new StringBuilder();
        for (Difference d : diffs) sb.append("\n  ").append(d);
        return sb.toString();
    }

    private static void compare(String path, JsonNode a, JsonNode b, List<Difference> out) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            Set<String> keys = new LinkedHashSet<>();
            for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) keys.add(it.next());
            for (Iterator<String> it = b.fieldNames(); it.hasNext(); ) keys.add(it.next());
            for (String k : keys) compare(path.isEmpty() ? k : path + "." + k, a.get(k), b.get(k), out);
            return;
        }
        if (!same(a, b)) out.add(new Difference(path, text(a), text(b)));
    }

    private static boolean same(JsonNode a, JsonNode b) {
        if (a == null || b == null) return a == b;
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) return false;
            for (int i = 0; i < a.size(); i++) {
                List<Difference> inner = new ArrayList<>();
                compare("", a.get(i), b.get(i), inner);
                if (!inner.isEmpty()) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    private static String text(JsonNode n) {
        return n == null ? "<absent>" : n.toString();
    }
}
