package org.acodm.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The null corpus ({@code acodm corpus split}): one domain of a Pile-layout corpus dealt at random into K parts, each
 * its own domain ({@code D-1} .. {@code D-K}), and nothing else. The parts are samples of one distribution, so the
 * right mixture is uniform: a method that moves away from it is chasing noise, and how far it moves measures how much.
 *
 * <p>Documents, not bytes, are dealt: in each split, D's documents (in file and line order) are shuffled by a
 * permutation drawn from {@link CounterRandom#PARTITION} and dealt round-robin, so part sizes differ by at most one
 * document per split. A document's line is kept byte for byte but for its domain value
 * ({@link PileReader#lastLineWithDomain}); each input file with documents of D gets an output file of the same name
 * and format, written through {@link StagedCorpus}.
 */
public final class NullCorpus {
    /** One part of one split: its domain name, documents and UTF-8 bytes of text. */
    public record Part(Split split, String domain, long documents, long bytes) {}

    private NullCorpus() {}

    /** The names of the {@code parts} parts of {@code domain}: {@code D-1} .. {@code D-K}. */
    public static List<String> partNames(String domain, int parts) {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= parts; i++) names.add(domain + "-" + i);
        return names;
    }

    /**
     * Writes to {@code out} (which must not exist, or be empty) the corpus of {@code domain} of the corpus at
     * {@code from}, cut into {@code parts} parts; returns the parts of every split, in split and part order.
     */
    public static List<Part> build(Path from, Path out, String domain, int parts, long seed, PileReader.Options options, Consumer<String> log)
            throws IOException {
        if (domain == null || domain.isBlank()) throw new IllegalArgumentException("--domain: expected a domain name, got '" + domain + "'");
        if (parts < 2) throw new IllegalArgumentException("--parts must be at least 2, got " + parts + " (one part is the domain itself)");
        List<String> names = partNames(domain, parts);
        try (StagedCorpus staged = StagedCorpus.create(from, out)) {
            List<SourceFile> files = CorpusSource.resolve(List.of(from.toString()));
            Map<SourceFile, Integer> perFile = new LinkedHashMap<>();  // documents of D
            Map<Split, Integer> counts = new EnumMap<>(Split.class);
            TreeSet<String> found = new TreeSet<>();
            for (SourceFile f : files) {
                log.accept("reading " + f.path());
                int n = 0;
                try (PileReader r = PileReader.open(f.path(), options)) {
                    for (PileDocument d = r.next(); d != null; d = r.next()) {
                        found.add(d.domain());
                        if (d.domain().equals(domain)) n = Math.addExact(n, 1);
                    }
                }
                perFile.put(f, n);
                counts.merge(f.split(), n, Math::addExact);
            }
            if (!found.contains(domain))
                throw new IllegalArgumentException(from + ": no domain '" + domain + "' (read from \"" + options.domainField() + "\"); its domains: "
                        + String.join(", ", found));
            List<String> tooFew = new ArrayList<>();
            counts.forEach((split, n) -> { if (n < parts) tooFew.add(split + " has " + n); });
            if (!tooFew.isEmpty())
                throw new IllegalArgumentException(from + ": too few documents of '" + domain + "' for " + parts + " parts (each part needs one in "
                        + "every split): " + String.join(", ", tooFew));

            List<Part> summary = new ArrayList<>();
            for (Map.Entry<Split, Integer> e : counts.entrySet()) {
                Split split = e.getKey();
                int[] part = assign(seed, split, e.getValue(), parts);
                long[] docs = new long[parts], bytes = new long[parts];
                int next = 0;
                for (SourceFile f : files) {
                    if (f.split() != split || perFile.get(f) == 0) continue;  // a file without documents of D has no counterpart
                    log.accept("writing " + f.path().getFileName() + " (" + split + ")");
                    try (PileReader r = PileReader.open(f.path(), options); OutputStream o = staged.open(f.path())) {
                        for (PileDocument d = r.next(); d != null; d = r.next()) {
                            if (!d.domain().equals(domain)) continue;
                            if (next == part.length) throw changed(from, split, domain);
                            int p = part[next++];
                            o.write(r.lastLineWithDomain(names.get(p)));
                            o.write('\n');
                            docs[p]++;
                            bytes[p] += d.text().getBytes(StandardCharsets.UTF_8).length;
                        }
                    }
                }
                if (next != part.length) throw changed(from, split, domain);
                for (int p = 0; p < parts; p++) summary.add(new Part(split, names.get(p), docs[p], bytes[p]));
            }
            staged.commit();
            return summary;
        }
    }

    private static IOException changed(Path from, Split split, String domain) {
        return new IOException(from + ": the " + split + " split's documents of '" + domain + "' changed between two readings; nothing was written");
    }

    /**
     * The part (from 0) of each of a split's {@code n} documents: a uniform random permutation (Fisher-Yates, each
     * swap a {@link CounterRandom#PARTITION} draw of (split, position)) dealt round-robin, so part p gets the documents
     * at shuffled positions p, p + K, p + 2K, ...
     */
    static int[] assign(long seed, Split split, int n, int parts) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = (int) CounterRandom.PARTITION.below(i + 1, seed, split.ordinal(), i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] part = new int[n];
        for (int position = 0; position < n; position++) part[order[position]] = position % parts;
        return part;
    }
}
