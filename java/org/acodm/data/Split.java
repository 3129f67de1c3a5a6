package org.acodm.data;

import java.util.Locale;

/** The three parts of a corpus in The Pile's layout; the name is also the shard folder name. */
public enum Split {
    TRAIN("train"), VAL("val"), TEST("test");

    private final String dirName;

    Split(String dirName) { this.dirName = dirName; }

    /** Folder name under the shard directory and the key in {@code manifest.json}. */
    public String dirName() { return dirName; }

    /** Accepts the names corpora use for a split: {@code train}, {@code val}/{@code validation}, {@code test}. */
    public static Split parse(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "train": return TRAIN;
            case "val": case "valid": case "validation": return VAL;
            case "test": return TEST;
            default: throw new IllegalArgumentException("unknown split '" + name + "': expected train, val or test");
        }
    }

    @Override public String toString() { return dirName; }
}
