package org.acodm.config;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Collects configuration errors while a tree of sections is bound, so a user sees all of them at once.
 * A scope knows its section's dotted key; {@link #add} takes keys relative to it and records the full
 * key with the place (file and line, or {@code --set ...}) where the value, or its nearest parent, came from.
 */
public final class ConfigErrors {
    private final List<String> sink;
    private final Function<String, String> locator;
    private final String prefix;

    private ConfigErrors(List<String> sink, Function<String, String> locator, String prefix) {
        this.sink = sink;
        this.locator = locator;
        this.prefix = prefix;
    }

    /** A root scope; {@code locator} maps a full dotted key to where it was written ("configs/x.yaml:12"). */
    public static ConfigErrors root(Function<String, String> locator) {
        return new ConfigErrors(new ArrayList<>(), locator, "");
    }

    /** A root scope for values that come from no file (records built in code). */
    public static ConfigErrors detached(String source) {
        return root(key -> source);
    }

    /** The scope of a nested section. */
    public ConfigErrors scope(String relativeKey) {
        return new ConfigErrors(sink, locator, key(relativeKey));
    }

    /** The full dotted key of {@code relativeKey} in this scope; {@code ""} is the section itself. */
    public String key(String relativeKey) {
        if (relativeKey == null || relativeKey.isEmpty()) return prefix;
        if (prefix.isEmpty()) return relativeKey;
        return relativeKey.startsWith("[") ? prefix + relativeKey : prefix + "." + relativeKey;
    }

    /** Reports that the value at {@code relativeKey} is impossible: {@code "must be > 0, got -1.0"}. */
    public void add(String relativeKey, String message) {
        String full = key(relativeKey);
        String where = locator.apply(full);
        sink.add(where + ": " + (full.isEmpty() ? "" : full + ": ") + message);
    }

    /** {@link #add} unless {@code ok}. */
    public void check(boolean ok, String relativeKey, String message) {
        if (!ok) add(relativeKey, message);
    }

    /** An error whose text names its key itself (unknown keys). */
    void addRaw(String fullKey, String message) {
        sink.add(locator.apply(fullKey) + ": " + message);
    }

    public boolean isEmpty() { return sink.isEmpty(); }

    public List<String> messages() { return List.copyOf(sink); }

    /** Throws a {@link ConfigException} carrying every error collected so far, if any. */
    public void throwIfAny() {
        if (!sink.isEmpty()) throw new ConfigException(sink);
    }
}
