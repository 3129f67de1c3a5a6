package org.acodm.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Turns what the user passed as {@code --input} into the list of corpus files and their splits. An input is
 * a directory in The Pile's layout ({@code train/NN.jsonl.zst}, {@code val.jsonl.zst}, {@code test.jsonl.zst};
 * SlimPajama's {@code train/}, {@code validation/}, {@code test/} folders work too), a single file (its split
 * read from its name, {@code val.jsonl} → val, anything else → train), or {@code SPLIT=PATH} to say the split.
 * Symbolic links are followed; a corpus file that cannot be read (a broken link, a link loop, no permission) is an
 * error naming it, never skipped, and a file of one split whose content is another split's file is refused.
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
            if (!Files.exists(path)) {
                if (Files.isSymbolicLink(path)) requireReadable(path);  // says why the link leads nowhere
                throw new NoSuchFileException(path.toString(), null, "input does not exist");
            }
            if (Files.isDirectory(path)) {
                List<Path> files = corpusFiles(path);
                if (files.isEmpty())
                    throw new IOException(path + ": no .jsonl or .jsonl.zst files in this directory");
                for (Path f : files) {
                    Split split = forced != null ? forced : splitInDirectory(path, f);
                    add(out, seen, split, f);
                }
            } else {
                if (!isCorpusFile(path)) throw new CorpusFormatException(path, 0, "expected a .jsonl or .jsonl.zst file");
                requireReadable(path);
                add(out, seen, forced != null ? forced : tryParse(stem(path)).orElse(Split.TRAIN), path);
            }
        }
        refuseSharedContent(out);
        return out;
    }

    /**
     * A prepare whose inputs hold no val split makes data that no run can use (every run evaluates on val, at the latest
     * after its last step): refused before any work, naming the inputs.
     */
    public static void requireValidation(List<SourceFile> files, List<String> inputs) {
        if (files.stream().anyMatch(f -> f.split() == Split.VAL)) return;
        throw new IllegalArgumentException("no val split among the inputs (" + String.join(", ", inputs) + "): every run evaluates on the val "
                + "split, so data without one cannot be trained on; add the validation file, e.g. --input val=PATH/val.jsonl.zst "
                + "(a Pile-layout directory's val.jsonl.zst is found by itself)");
    }

    /** The corpus files under {@code dir}, sorted, symbolic links followed; one that cannot be read is an error. */
    private static List<Path> corpusFiles(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isDirectory(p) || !isCorpusFile(p)) continue;
                requireReadable(p);
                files.add(p);
            }
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof FileSystemLoopException loop)
                throw new CorpusFormatException(Path.of(loop.getFile()), 0, "a symbolic link loop: this folder link leads back to a folder above "
                        + "it; remove the link, or pass the files it should add as their own --input", loop);
            throw new IOException("cannot list the corpus files in " + dir + ": " + e.getCause().getMessage(), e.getCause());
        }
        files.sort(Comparator.comparing(Path::toString));
        return files;
    }

    /** A corpus file the user pointed at must be read; each reason it cannot be is said, naming the file. */
    static void requireReadable(Path file) throws IOException {
        if (Files.isRegularFile(file) && Files.isReadable(file)) return;
        if (Files.isSymbolicLink(file) && !Files.exists(file)) {
            Path target = Files.readSymbolicLink(file);
            try {
                file.toRealPath();
            } catch (NoSuchFileException e) {
                throw new CorpusFormatException(file, 0, "a symbolic link to " + target + ", which does not exist: its documents cannot be read; "
                        + "fix the link or remove it", e);
            } catch (IOException e) {
                throw new CorpusFormatException(file, 0, "a symbolic link (to " + target + ") that leads to no file ("
                        + (e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage())
                        + ": a link loop?); fix the link or remove it", e);
            }
        }
        if (Files.exists(file) && !Files.isRegularFile(file))
            throw new CorpusFormatException(file, 0, "not a regular file (a device, a FIFO or a socket): pass the corpus file itself");
        throw new CorpusFormatException(file, 0, "cannot be read (no read permission for this user)");
    }

    /**
     * Refuses a file of one split whose bytes are those of a file of another split (a copy, a hard or a symbolic link):
     * a val identical to a train file measures the model on text it trained on. Only files of equal size are hashed, so
     * the check costs nothing on a corpus without such pairs; empty files are left alone (they hold no document).
     */
    private static void refuseSharedContent(List<SourceFile> files) throws IOException {
        Map<Long, List<SourceFile>> bySize = new LinkedHashMap<>();
        for (SourceFile f : files) if (f.bytes() > 0) bySize.computeIfAbsent(f.bytes(), k -> new ArrayList<>()).add(f);
        Map<Path, String> hashes = new HashMap<>();
        for (List<SourceFile> same : bySize.values()) {
            for (int i = 0; i < same.size(); i++) {
                for (int j = i + 1; j < same.size(); j++) {
                    SourceFile a = same.get(i), b = same.get(j);
                    if (a.split() == b.split()) continue;
                    boolean sameFile = Files.isSameFile(a.path(), b.path());
                    if (!sameFile && !sha256(a.path(), hashes).equals(sha256(b.path(), hashes))) continue;
                    // The held-out file is named first: it is the one to replace.
                    SourceFile held = b.split() == Split.TRAIN ? a : b, other = held == a ? b : a;
                    throw new IllegalArgumentException(held.split() + " file " + held.path() + " is " + (sameFile ? "the same file as " : "a copy of ")
                            + other.split() + " file " + other.path() + (sameFile ? " (a link to it)" : " (the same SHA-256, " + sha256(a.path(), hashes) + ")")
                            + (other.split() == Split.TRAIN ? ": the model would be evaluated on text it trains on" : ": both splits would measure the same text")
                            + "; pass the " + held.split() + " split's own file");
                }
            }
        }
    }

    private static String sha256(Path file, Map<Path, String> cache) throws IOException {
        String known = cache.get(file);
        if (known != null) return known;
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        String hex = java.util.HexFormat.of().formatHex(md.digest());
        cache.put(file, hex);
        return hex;
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
