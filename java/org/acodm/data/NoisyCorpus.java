package org.acodm.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.acodm.config.Mappers;
import org.acodm.io.AtomicFile;
import org.acodm.io.Directories;

/**
 * A corpus with a known answer ({@code acodm corpus noisy}): a copy of a Pile-layout corpus with one more domain,
 * {@value #DOMAIN}, of uniformly random printable ASCII, as many bytes in each split as the median domain of that
 * split. No model can learn it (its best loss is ln 95 nats per byte from the first step), so a mixing method that
 * helps the real domains gives it little weight, and one that chases high loss (ODM) gives it the most.
 *
 * <p>Every file is copied byte for byte except the last of each split (in path order), which is rewritten with the
 * Noise documents after its own lines, in the same format (zstd or plain). The copy is built in a staging folder
 * beside the output and renamed into place when complete, so an interrupted build leaves no corpus that looks whole.
 * The text is a pure function of the seed (through {@link CounterRandom#CORPUS}).
 */
public final class NoisyCorpus {
    public static final String DOMAIN = "Noise";
    /** Bytes of every Noise document but a split's last (which holds the remainder). */
    static final int DOCUMENT_BYTES = 4096;
    /** Printable ASCII: space to tilde. */
    static final int FIRST = 0x20, CHARS = 0x7F - 0x20;

    /** What a split got: its domains (Noise not counted), their median size in bytes, and the Noise added. */
    public record SplitSummary(Split split, int domains, long medianBytes, long noiseDocuments, long noiseBytes) {}

    private NoisyCorpus() {}

    /**
     * Copies the corpus at {@code from} (a directory in the Pile layout) to {@code out} with the Noise domain added.
     * {@code out} must not exist or be empty; a domain already named {@value #DOMAIN} is an error naming its file and line.
     */
    public static List<SplitSummary> build(Path from, Path out, long seed, PileReader.Options options, Consumer<String> log) throws IOException {
        if (!Files.isDirectory(from)) throw new IllegalArgumentException("--from " + from + ": not a directory (expected a corpus in The Pile's layout)");
        if (Files.exists(out) && !isEmptyDirectory(out))
            throw new FileAlreadyExistsException(out.toString(), null, "the output exists and is not empty; choose another --out or remove it");
        List<SourceFile> files = CorpusSource.resolve(List.of(from.toString()));
        Map<Split, List<SourceFile>> bySplit = new EnumMap<>(Split.class);
        for (SourceFile f : files) bySplit.computeIfAbsent(f.split(), s -> new ArrayList<>()).add(f);

        Map<Split, Map<String, Long>> bytes = new EnumMap<>(Split.class);
        for (SourceFile f : files) {
            log.accept("reading " + f.path());
            Map<String, Long> perDomain = bytes.computeIfAbsent(f.split(), s -> new LinkedHashMap<>());
            try (PileReader r = PileReader.open(f.path(), options)) {
                for (PileDocument d = r.next(); d != null; d = r.next()) {
                    if (d.domain().equals(DOMAIN))
                        throw new CorpusFormatException(f.path(), d.line(), "the corpus already has a domain named '" + DOMAIN + "'");
                    perDomain.merge(d.domain(), (long) d.text().getBytes(StandardCharsets.UTF_8).length, Long::sum);
                }
            }
        }

        Path absOut = out.toAbsolutePath().normalize();
        Path staging = absOut.resolveSibling("." + absOut.getFileName() + ".partial");
        ShardPreparer.deleteTree(staging);  // what an interrupted build of this same output left
        Directories.create(staging);
        List<SplitSummary> summary = new ArrayList<>();
        for (Map.Entry<Split, List<SourceFile>> e : bySplit.entrySet()) {
            Split split = e.getKey();
            List<SourceFile> splitFiles = e.getValue();
            long[] sizes = bytes.getOrDefault(split, Map.of()).values().stream().mapToLong(Long::longValue).toArray();
            long median = median(sizes);
            long docs = 0;
            for (int i = 0; i < splitFiles.size(); i++) {
                Path src = splitFiles.get(i).path();
                Path dst = staging.resolve(from.relativize(src).toString());
                Directories.create(dst.getParent());
                if (i < splitFiles.size() - 1) {
                    Files.copy(src, dst);
                } else {
                    log.accept("writing " + dst.getFileName() + " with " + median + " bytes of " + DOMAIN + " (" + split + ")");
                    docs = appendNoise(src, dst, split, median, seed, options);
                }
            }
            summary.add(new SplitSummary(split, sizes.length, median, docs, median));
        }
        Directories.create(absOut.getParent());
        if (Files.exists(absOut)) Files.delete(absOut);  // an empty directory (checked above)
        AtomicFile.syncTree(staging);  // every copied and written file is on disk before the corpus has its name
        AtomicFile.move(staging, absOut);
        return summary;
    }

    /** The median (the mean of the middle two, rounded down, for an even count); 0 for none. */
    static long median(long[] values) {
        if (values.length == 0) return 0;
        long[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** The text of Noise document {@code doc} of {@code split}: {@code length} printable ASCII characters. */
    static String noiseText(long seed, Split split, long doc, int length) {
        char[] c = new char[length];
        for (int i = 0; i < length; i++)
            c[i] = (char) (FIRST + CounterRandom.scaled(CounterRandom.CORPUS.bits(seed, split.ordinal(), doc, i), CHARS));
        return new String(c);
    }

    /** Writes src's lines and then {@code total} bytes of Noise documents to dst; returns the number of documents. */
    private static long appendNoise(Path src, Path dst, Split split, long total, long seed, PileReader.Options options) throws IOException {
        boolean zst = src.getFileName().toString().endsWith(".zst");
        long docs = 0;
        try (InputStream raw = Files.newInputStream(src);
             InputStream in = zst ? new ZstdInputStream(raw) : raw;
             OutputStream file = Files.newOutputStream(dst);
             OutputStream out = new BufferedOutputStream(zst ? new ZstdOutputStream(file, 3) : file, 1 << 16)) {
            byte[] buf = new byte[1 << 16];
            int last = '\n';
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                last = buf[n - 1];
            }
            if (last != '\n') out.write('\n');
            for (long written = 0; written < total; docs++) {
                int len = (int) Math.min(DOCUMENT_BYTES, total - written);
                ObjectNode o = Mappers.JSON.createObjectNode();
                put(o, options.textField(), noiseText(seed, split, docs, len));
                put(o, options.domainField(), DOMAIN);
                out.write(Mappers.JSON.writeValueAsBytes(o));
                out.write('\n');
                written += len;
            }
        }
        return docs;
    }

    /** Sets {@code path} (a.b.c) in {@code root}, creating the objects on the way. */
    private static void put(ObjectNode root, FieldPath path, String value) {
        ObjectNode at = root;
        List<String> keys = path.keys();
        for (int i = 0; i < keys.size() - 1; i++) at = at.has(keys.get(i)) ? (ObjectNode) at.get(keys.get(i)) : at.putObject(keys.get(i));
        at.put(keys.get(keys.size() - 1), value);
    }

    private static boolean isEmptyDirectory(Path p) throws IOException {
        if (!Files.isDirectory(p)) return false;
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        }
    }
}
