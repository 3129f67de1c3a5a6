package org.acodm.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.acodm.io.AtomicFile;
import org.acodm.io.Directories;
import org.acodm.io.DirectoryLock;

/**
 * The {@code prepare} job: tokenises corpus files into one indexed dataset per (split, domain) and writes
 * {@code manifest.json}.
 *
 * <p>Layout of {@code DIR}: {@code DIR/<split>/<domain>.bin|.idx}, {@code DIR/<split>/split.json} (what the
 * split was made from), {@code DIR/manifest.json}. Crash safety: every split is built in
 * {@code DIR/.staging/<split>/} and moved into place only after all splits of the run are complete, and the
 * manifest is removed before and rewritten after the moves; so a failed or interrupted run never leaves a
 * manifest describing partial shards, and a run that fails on bad input leaves earlier output untouched.
 * Resume: a split whose {@code split.json} records the same inputs, tokenizer and options (in place or in
 * staging) is kept, any other is redone from scratch.
 *
 * <p>Throughput: one thread reads and parses, {@code threads} workers tokenise chunks of about 64 K characters, and the
 * calling thread writes chunks in input order, so shards are identical whatever the thread count. The queue
 * between them is bounded, which bounds memory.
 */
public final class ShardPreparer {
    /**
     * Options of one run. {@code overwrite}: output of another prepare (other inputs, tokenizer or options) may be
     * replaced, and the run may write beside files it did not write; without it both are refused.
     */
    public record Options(PileReader.Options reader, int threads, long minDomainTokens, boolean overwrite) {
        public Options {
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
            if (minDomainTokens < 0) throw new IllegalArgumentException("minDomainTokens must be >= 0");
        }

        public static Options defaults() {
            return new Options(PileReader.Options.pile(), Runtime.getRuntime().availableProcessors(), 10_000, false);
        }

        public Options withReader(PileReader.Options r) { return new Options(r, threads, minDomainTokens, overwrite); }

        public Options withThreads(int t) { return new Options(reader, t, minDomainTokens, overwrite); }

        public Options withMinDomainTokens(long m) { return new Options(reader, threads, m, overwrite); }

        public Options withOverwrite(boolean o) { return new Options(reader, threads, minDomainTokens, o); }
    }

    /** Progress callbacks, all on the calling thread. */
    public interface Listener {
        default void splitStarted(Split split, int files, long inputBytes) {}

        /** Cumulative for the split: documents and UTF-8 text bytes written, input file bytes consumed. */
        default void progress(Split split, long documents, long textBytes, long inputBytesRead) {}

        default void splitFinished(Split split, boolean reused) {}

        Listener NONE = new Listener() {};
    }

    /**
     * What {@code DIR/<split>/split.json} records. {@code identity} is the fingerprint without the input files' sizes and
     * times: the same prepare run again on updated files (null in records written before it was kept).
     */
    record SplitRecord(String fingerprint, String identity, Map<String, Manifest.DomainStats> domains, List<Manifest.SourceInfo> sources) {}

    static final String SPLIT_RECORD = "split.json";
    static final String STAGING = ".staging";
    static final String LOCK_FILE = ".prepare.lock";
    /** Where {@link TokenizingPipeline} cuts its chunks (documents, characters); public so benchmarks hand a bare tokenizer the same batches. */
    public static final int CHUNK_CHARS = 64 << 10;
    public static final int CHUNK_DOCS = 4096;

    private ShardPreparer() {}

    public static Manifest prepare(List<SourceFile> sources, Tokenizer tokenizer, Path outDir, Options options, Listener listener) throws IOException {
        boolean existed = Files.isDirectory(outDir);
        // Refused before the lock file is created in someone's folder (the check is repeated under the lock).
        if (existed && !Files.exists(outDir.resolve(LOCK_FILE))) refuseForeignDirectory(outDir, options);
        try (DirectoryLock lock = DirectoryLock.acquire(outDir, LOCK_FILE, "prepare")) {
            if (existed) refuseForeignDirectory(outDir, options);
            return prepareLocked(sources, tokenizer, outDir, options, listener);
        }
    }

    /**
     * A folder that holds files but no prepare output (no manifest, no split, no staging) is someone's directory: prepare
     * writes into it only with --overwrite, and even then deletes nothing of it.
     */
    private static void refuseForeignDirectory(Path outDir, Options options) throws IOException {
        if (options.overwrite() || Files.exists(outDir.resolve(Manifest.FILE_NAME)) || Files.exists(outDir.resolve(STAGING))) return;
        for (Split split : Split.values()) if (Files.isRegularFile(outDir.resolve(split.dirName()).resolve(SPLIT_RECORD))) return;
        List<String> entries = Directories.foreignEntries(outDir, p -> p.getFileName().toString().equals(LOCK_FILE));
        if (!entries.isEmpty())
            throw new IOException(outDir + " is not empty and holds no prepared data (" + Directories.listing(entries) + "); choose a new or empty --out, "
                    + "or --overwrite to write beside these files (prepare never deletes a file it did not write). Nothing was changed");
    }

    /** Files under {@code splitDir} that prepare did not write: all but split.json, the shards it lists, and temporaries. */
    private static List<String> foreignFiles(Path outDir, Path splitDir, SplitRecord rec) throws IOException {
        Set<String> own = new HashSet<>();
        own.add(SPLIT_RECORD);
        if (rec != null)
            for (Manifest.DomainStats d : rec.domains().values()) {
                String stem = Path.of(d.shard()).getFileName().toString();
                own.add(stem + ".bin");
                own.add(stem + ".idx");
            }
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(splitDir)) return out;
        try (Stream<Path> s = Files.walk(splitDir)) {
            for (Path p : s.sorted().toList()) {
                if (p.equals(splitDir)) continue;
                boolean mine = p.getParent().equals(splitDir) && Files.isRegularFile(p)
                        && (own.contains(p.getFileName().toString()) || AtomicFile.isTemporary(p));
                if (!mine && !(Files.isDirectory(p) && hasOnlyDirectories(p))) out.add(outDir.relativize(p).toString());
            }
        }
        return out;
    }

    private static boolean hasOnlyDirectories(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.allMatch(Files::isDirectory);
        }
    }

    private static Manifest prepareLocked(List<SourceFile> sources, Tokenizer tokenizer, Path outDir, Options options, Listener listener) throws IOException {
        Map<Split, List<SourceFile>> bySplit = new EnumMap<>(Split.class);
        for (SourceFile s : sources) bySplit.computeIfAbsent(s.split(), k -> new ArrayList<>()).add(s);
        Path staging = outDir.resolve(STAGING);

        // What this run keeps, rebuilds and removes is decided, and checked, before any work or any change.
        Map<Split, String> fingerprints = new EnumMap<>(Split.class), identities = new EnumMap<>(Split.class);
        Map<Split, SplitRecord> records = new EnumMap<>(Split.class);
        List<Split> toCommit = new ArrayList<>();
        List<String> replaced = new ArrayList<>(), foreign = new ArrayList<>();
        for (Map.Entry<Split, List<SourceFile>> e : bySplit.entrySet()) {
            Split split = e.getKey();
            fingerprints.put(split, fingerprint(e.getValue(), tokenizer, options));
            identities.put(split, identity(e.getValue(), tokenizer, options));
            Path target = outDir.resolve(split.dirName());
            SplitRecord inPlace = readRecord(target);
            if (inPlace != null && inPlace.fingerprint().equals(fingerprints.get(split))) {
                records.put(split, inPlace);
                continue;
            }
            toCommit.add(split);
            SplitRecord written = readRecordFile(target);
            foreign.addAll(foreignFiles(outDir, target, written));
            // The same prepare over updated input files is a refresh; anything else replaces another prepare's output.
            if (written != null && !identities.get(split).equals(written.identity()))
                replaced.add(split.dirName() + "/ (prepared from " + describeSources(written) + ")");
        }
        List<Split> toDelete = new ArrayList<>();
        for (Split split : Split.values()) {
            if (bySplit.containsKey(split)) continue;
            SplitRecord written = readRecordFile(outDir.resolve(split.dirName()));
            if (written == null) continue;
            toDelete.add(split);
            foreign.addAll(foreignFiles(outDir, outDir.resolve(split.dirName()), written));
            replaced.add(split.dirName() + "/ (not among these inputs)");
        }
        if (!foreign.isEmpty())
            throw new IOException(outDir + ": preparing here would delete files that prepare did not write: " + Directories.listing(foreign)
                    + "; move them out of the way first. Nothing was changed");
        if (!replaced.isEmpty() && !options.overwrite())
            throw new IOException(outDir + " holds data of another prepare: " + String.join("; ", replaced) + ". Use --overwrite to replace it, "
                    + "or choose another --out. Nothing was changed");

        for (Split split : bySplit.keySet()) {
            if (!toCommit.contains(split)) {
                listener.splitFinished(split, true);
                continue;
            }
            Path stagedDir = staging.resolve(split.dirName());
            SplitRecord staged = readRecord(stagedDir);
            if (staged == null || !staged.fingerprint().equals(fingerprints.get(split))) {
                Directories.deleteTree(stagedDir);
                staged = tokenizeSplit(split, bySplit.get(split), tokenizer, stagedDir, options, fingerprints.get(split), identities.get(split), listener);
                listener.splitFinished(split, false);
            } else {
                listener.splitFinished(split, true);
            }
            records.put(split, staged);
        }
        if (records.containsKey(Split.VAL) && records.get(Split.VAL).domains().isEmpty())
            throw new IOException("the val split's input (" + describeInputs(bySplit.get(Split.VAL)) + ") holds no documents: every run evaluates "
                    + "on val, so data without one cannot be trained on; " + outDir + " was not changed");
        if (records.values().stream().allMatch(r -> r.domains().isEmpty()))
            throw new IOException("no documents in " + describeInputs(sources) + " (read the text from \"" + options.reader().textField()
                    + "\" and the domain from \"" + options.reader().domainField() + "\" of each line; see --text-field, --domain-field): "
                    + "nothing to train on, " + outDir + " was not changed");

        Path manifestFile = outDir.resolve(Manifest.FILE_NAME);
        if (Files.deleteIfExists(manifestFile)) AtomicFile.syncFolder(outDir);
        for (Split split : toCommit) {
            Path old = staging.resolve(split.dirName() + ".old");
            Directories.deleteTree(old);
            AtomicFile.replaceDirectory(staging.resolve(split.dirName()), outDir.resolve(split.dirName()), old);
        }
        // A split prepared earlier but absent from these inputs would otherwise linger beside a manifest that ignores it.
        for (Split split : toDelete) Directories.deleteTree(outDir.resolve(split.dirName()));
        Directories.deleteTree(staging);

        Manifest m = buildManifest(records, tokenizer, options);
        m.write(outDir);
        return m;
    }

    private static String describeSources(SplitRecord r) {
        List<String> paths = r.sources().stream().map(Manifest.SourceInfo::path).toList();
        return paths.isEmpty() ? "no files" : Directories.listing(paths);
    }

    private static String describeInputs(List<SourceFile> sources) {
        return Directories.listing(sources.stream().map(f -> f.path().toString()).toList());
    }

    private static Manifest buildManifest(Map<Split, SplitRecord> records, Tokenizer tokenizer, Options options) {
        TreeSet<String> domains = new TreeSet<>();
        Map<String, Map<String, Manifest.DomainStats>> splits = new LinkedHashMap<>();
        List<Manifest.SourceInfo> sources = new ArrayList<>();
        for (Map.Entry<Split, SplitRecord> e : records.entrySet()) {
            domains.addAll(e.getValue().domains().keySet());
            splits.put(e.getKey().dirName(), new TreeMap<>(e.getValue().domains()));
            sources.addAll(e.getValue().sources());
        }
        List<String> warnings = new ArrayList<>();
        Map<String, Manifest.DomainStats> train = splits.getOrDefault(Split.TRAIN.dirName(), Map.of());
        for (Map.Entry<String, Map<String, Manifest.DomainStats>> s : splits.entrySet()) {
            boolean isTrain = s.getKey().equals(Split.TRAIN.dirName()), isVal = s.getKey().equals(Split.VAL.dirName());
            for (String d : domains) {
                Manifest.DomainStats st = s.getValue().get(d);
                String at = s.getKey() + "/" + d + ": ";
                if (st == null) {
                    warnings.add(at + "no documents in this split" + (isVal && train.containsKey(d)
                            ? ": '" + d + "' is trained on but never evaluated, and the average over domains leaves it out" : ""));
                } else if (st.bytes() == 0) {
                    // Bits per byte divide by the text's bytes: a domain of empty documents has none, and its value is infinite.
                    warnings.add(at + "its " + st.documents() + " document(s) are all empty (0 bytes of text, " + st.tokens() + " end-of-document tokens)"
                            + (isTrain ? ": training on it teaches nothing but end-of-document" : ": its bits per byte are undefined"));
                } else if (st.tokens() < options.minDomainTokens()) {
                    warnings.add(at + st.tokens() + " tokens, fewer than --min-domain-tokens " + options.minDomainTokens()
                            + (isTrain ? "; a run that samples it repeats these tokens, as often as its weight asks" : ""));
                }
            }
        }
        for (Manifest.SourceInfo s : sources) {
            if (s.badLines() > 0) warnings.add(s.path() + ": skipped " + s.badLines() + " bad line(s); first: " + s.badLineExamples().get(0));
        }
        Manifest.TokenizerInfo ti = new Manifest.TokenizerInfo(tokenizer.spec(), tokenizer.vocabSize(), tokenizer.endOfDocument(),
                TokenDtype.forVocabulary(tokenizer.vocabSize()).name().toLowerCase(java.util.Locale.ROOT), tokenizer.notes());
        return new Manifest(Manifest.VERSION, ti, options.reader().textField().toString(), options.reader().domainField().toString(),
                List.copyOf(domains), splits, sources, options.minDomainTokens(), warnings);
    }

    /** Everything that decides a split's shards; a change in any of it means redo. */
    static String fingerprint(List<SourceFile> files, Tokenizer tokenizer, Options options) {
        StringBuilder sb = new StringBuilder(settings(tokenizer, options));
        for (SourceFile f : files) {
            sb.append('|').append(f.path().toAbsolutePath().normalize()).append(':').append(f.bytes()).append(':').append(f.modifiedMillis());
        }
        return sb.toString();
    }

    /** The prepare a split comes from: its settings and input paths, without the files' sizes and times. */
    static String identity(List<SourceFile> files, Tokenizer tokenizer, Options options) {
        StringBuilder sb = new StringBuilder(settings(tokenizer, options));
        for (SourceFile f : files) sb.append('|').append(f.path().toAbsolutePath().normalize());
        return sb.toString();
    }

    private static String settings(Tokenizer tokenizer, Options options) {
        return "v1|" + tokenizer.fingerprint() + '|' + options.reader().textField() + '|' + options.reader().domainField()
                + '|' + options.reader().maxBadLines();
    }

    /** split.json as written, or null when there is none or it is unreadable; the shards are not checked. */
    private static SplitRecord readRecordFile(Path splitDir) {
        Path f = splitDir.resolve(SPLIT_RECORD);
        if (!Files.isRegularFile(f)) return null;
        try {
            SplitRecord r = Manifest.readJson(f, SplitRecord.class);
            return r.domains() == null || r.sources() == null ? null : r;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static SplitRecord readRecord(Path splitDir) {
        Path f = splitDir.resolve(SPLIT_RECORD);
        if (!Files.isRegularFile(f)) return null;
        try {
            SplitRecord r = Manifest.readJson(f, SplitRecord.class);
            // The record is written after the shards, but check they are still there before trusting it.
            for (Manifest.DomainStats d : r.domains().values()) {
                Path prefix = splitDir.resolve(Path.of(d.shard()).getFileName().toString());
                if (!Files.isRegularFile(IndexedDatasetWriter.withSuffix(prefix, ".idx"))
                        || Files.size(IndexedDatasetWriter.withSuffix(prefix, ".bin")) <= 0) return null;
            }
            return r;
        } catch (IOException | RuntimeException e) {
            return null; // unreadable: treated as absent, and the split is redone
        }
    }

    private static SplitRecord tokenizeSplit(Split split, List<SourceFile> files, Tokenizer tokenizer, Path dir, Options options,
                                             String fingerprint, String identity, Listener listener) throws IOException {
        Files.createDirectories(dir);
        long inputBytes = files.stream().mapToLong(SourceFile::bytes).sum();
        listener.splitStarted(split, files.size(), inputBytes);

        Map<String, IndexedDatasetWriter> writers = new LinkedHashMap<>();
        Map<String, long[]> counts = new TreeMap<>(); // documents, tokens, bytes
        Map<String, String> stems = new LinkedHashMap<>();
        Set<String> usedStems = new HashSet<>();
        boolean ok = false;
        List<Manifest.SourceInfo> infos;
        try (TokenizingPipeline pipeline = TokenizingPipeline.start(files, options.reader(), tokenizer, options.threads(), split.dirName())) {
            long docs = 0;
            long textBytes = 0;
            for (TokenizingPipeline.Chunk c = pipeline.next(); c != null; c = pipeline.next()) {
                Tokenizer.ShardRows rows = c.rows();
                for (int i = 0; i < c.domains().length; i++) {
                    String domain = c.domains()[i];
                    IndexedDatasetWriter w = writers.get(domain);
                    if (w == null) {
                        String stem = uniqueStem(domain, usedStems);
                        stems.put(domain, stem);
                        w = new IndexedDatasetWriter(dir.resolve(stem), tokenizer.vocabSize());
                        writers.put(domain, w);
                    }
                    w.addEncoded(rows.encoded()[i], rows.tokens()[i]);
                    long[] n = counts.computeIfAbsent(domain, k -> new long[3]);
                    n[0]++;
                    n[1] += rows.tokens()[i];
                    n[2] += rows.bytes()[i];
                    textBytes += rows.bytes()[i];
                }
                docs += c.domains().length;
                listener.progress(split, docs, textBytes, c.inputBytesRead());
            }
            infos = pipeline.sources();
            finishAll(writers.values());
            ok = true;
        } finally {
            if (!ok) {
                for (IndexedDatasetWriter w : writers.values()) {
                    try { w.close(); } catch (IOException ignored) { /* the staging folder is wiped on the next run anyway */ }
                }
            }
        }
        Map<String, Manifest.DomainStats> domains = new TreeMap<>();
        for (Map.Entry<String, long[]> e : counts.entrySet()) {
            long[] n = e.getValue();
            domains.put(e.getKey(), new Manifest.DomainStats(split.dirName() + "/" + stems.get(e.getKey()), n[0], n[1], n[2]));
        }
        SplitRecord rec = new SplitRecord(fingerprint, identity, domains, infos);
        Manifest.writeJsonAtomically(dir.resolve(SPLIT_RECORD), rec);
        return rec;
    }

    /**
     * Finishes every shard at once. Each finish syncs two files; one after the other, a split's 30-odd syncs took
     * 100-190 ms on the shared VM disk (as long as tokenising a few hundred KB), while issued together they took
     * about 10 ms, the device flushing them in one go.
     */
    static void finishAll(Collection<IndexedDatasetWriter> writers) throws IOException {
        if (writers.size() <= 1) {
            for (IndexedDatasetWriter w : writers) w.finish();
            return;
        }
        ExecutorService io = Executors.newFixedThreadPool(Math.min(8, writers.size()), r -> {
            Thread t = new Thread(r, "acodm-sync");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (IndexedDatasetWriter w : writers) done.add(io.submit(() -> { w.finish(); return null; }));
            IOException failed = null;
            for (Future<Void> f : done) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while syncing shards", e);
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) throw r;
                    if (cause instanceof Error err) throw err;
                    if (failed == null) failed = cause instanceof IOException ioe ? ioe : new IOException(cause);
                }
            }
            if (failed != null) throw failed;
        } finally {
            io.shutdownNow();
        }
    }

    /** A file name for a domain that keeps the name readable: unsafe characters become '_', clashes get a suffix. */
    static String uniqueStem(String domain, Set<String> used) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < domain.length() && sb.length() < 100; i++) {
            char c = domain.charAt(i);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || (c == '.' && i > 0);
            sb.append(safe ? c : '_');
        }
        String base = sb.toString();
        String stem = base;
        // Compared without case so two domains never share a file on case-insensitive file systems.
        for (int k = 2; !used.add(stem.toLowerCase(java.util.Locale.ROOT)); k++) stem = base + "-" + k;
        return stem;
    }

}
