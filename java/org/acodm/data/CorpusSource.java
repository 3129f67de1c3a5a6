package org.acodm.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Turns what the user passed as {@code --input} into the list of corpus files and their splits. An input is
 * a directory in The Pile's layout ({@code train/NN.jsonl.zst}, {@code val.jsonl.zst}, {@code test.jsonl.zst};
 * SlimPajama's {@code train/}, {@code validation/}, {@code test/} folders work too), a single file (its split
 * read from its name, {@code val.jsonl} → val, anything else → train), or {@code SPLIT=PATH} to say the split.
 */
public final class CorpusSource {
    private CorpusSource() {}

    public static List<SourceFile> resolve(List<String> inputs) throws IOException {
        if (inputs.isEmpty()) throw new IllegalArgumentException("no input: pass --input DIR or --input FILE");
        LinkedHashSet<Path> seen = new LinkedHashSet<>();
        List<SourceFile> out = new ArrayList<>();
        for (String input : inputs) {
            Split forced = null;
            String pathText = input;
            int eq = input.indexOf('=');
            if (eq > 0) {
                Optional<Split> s = tryParse(input.substring(0, eq));
                if (s.isPresent()) { forced = s.get(); pathText = input.substring(eq + 1); }
            }
            Path path = Path.of(pathText);
            if (!Files.exists(path)) throw new NoSuchFileException(path.toString(), null, "input does not exist");
            if (Files.isDirectory(path)) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(path)) {
                    files = walk.filter(Files::isRegularFile).filter(CorpusSource::isCorpusFile)
                            .sorted(Comparator.comparing(Path::toString)).toList();
                }
                if (files.isEmpty())
                    throw new IOException(path + ": no .jsonl or .jsonl.zst files in this directory");
                for (Path f : files) {
                    Split split = forced != null ? forced : splitInDirectory(path, f);
                    add(out, seen, split, f);
                }
            } else {
                if (!isCorpusFile(path)) throw new CorpusFormatException(path, 0, "expected a .jsonl or .jsonl.zst file");
                add(out, seen, forced != null ? forced : tryParse(stem(path)).orElse(Split.TRAIN), path);
            }
        }
        return out;
    }

    private static void add(List<SourceFile> out, LinkedHashSet<Path> seen, Split split, Path f) throws IOException {
        Path key = f.toAbsolutePath().normalize();
        if (!seen.add(key)) throw new IllegalArgumentException(f + ": given twice as input");
        out.add(new SourceFile(split, f, Files.size(f), Files.getLastModifiedTime(f).toMillis()));
    }

    static boolean isCorpusFile(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".jsonl") || n.endsWith(".jsonl.zst");
    }

    /** The split from the first folder under the root, else from the file's own name (val.jsonl.zst). */
    private static Split splitInDirectory(Path root, Path file) throws IOException {
        Path rel = root.relativize(file);
        if (rel.getNameCount() > 1) {
            Optional<Split> s = tryParse(rel.getName(0).toString());
            if (s.isPresent()) return s.get();
        } else {
            Optional<Split> s = tryParse(stem(file));
            if (s.isPresent()) return s.get();
            // The input is itself a split's folder, e.g. --input pile/train.
            Path name = root.toAbsolutePath().normalize().getFileName();
            s = name == null ? Optional.empty() : tryParse(name.toString());
            if (s.isPresent()) return s.get();
        }
        throw new CorpusFormatException(file, 0, "cannot tell which split this file belongs to: expected the Pile layout "
                + "(train/NN.jsonl.zst, val.jsonl.zst, test.jsonl.zst) or pass the split as --input SPLIT=PATH");
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.indexOf('.');
        return dot < 0 ? n : n.substring(0, dot);
    }

    private static Optional<Split> tryParse(String s) {
        try {
            return Optional.of(Split.parse(s));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
