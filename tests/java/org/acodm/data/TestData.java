package org.acodm.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.acodm.config.Mappers;

/** Paths of the shared test data (relative to the project root) and small helpers to write corpus files. */
public final class TestData {
    private TestData() {}

    /** The project root, given by surefire as {@code acodm.root}; the working directory otherwise. */
    public static Path root() {
        return Path.of(System.getProperty("acodm.root", ".")).toAbsolutePath().normalize();
    }

    public static Path minipile() { return root().resolve("../shared/data/minipile").normalize(); }

    public static Path neoxTokenizer() { return root().resolve("../shared/data/tokenizers/gpt-neox-20b.tokenizer.json").normalize(); }

    private static final ObjectMapper INDEPENDENT = Mappers.JSON;

    static {
        INDEPENDENT.getFactory().setStreamReadConstraints(
                com.fasterxml.jackson.core.StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build());
    }

    /** One line of The Pile's format. */
    public static String pileLine(String text, String domain) {
        var m = Mappers.JSON;
        var o = m.createObjectNode();
        o.put("text", text);
        o.putObject("meta").put("pile_set_name", domain);
        return o.toString();
    }

    /** Writes {@code lines} (each followed by '\n') as raw bytes; a {@code .zst} name compresses them. */
    public static Path write(Path file, List<byte[]> lines) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = file.toString().endsWith(".zst") ? new ZstdOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            for (byte[] l : lines) {
                out.write(l);
                out.write('\n');
            }
        }
        return file;
    }

    public static Path writeLines(Path file, List<String> lines) throws IOException {
        List<byte[]> b = new ArrayList<>();
        for (String l : lines) b.add(l.getBytes(StandardCharsets.UTF_8));
        return write(file, b);
    }

    /** A document as an independent reader (Jackson's tree model, the JDK's line reader) sees it. */
    public record Doc(String text, String domain) {}

    /** Every document of a Pile file, read without any of the code under test. */
    public static List<Doc> readIndependently(Path file) throws IOException {
        List<Doc> docs = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".zst") ? new ZstdInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) docs.add(readLine(line));
            }
        }
        return docs;
    }

    /** The document of one line of The Pile's format, read with Jackson's tree model. */
    public static Doc readLine(String line) throws IOException {
        JsonNode n = INDEPENDENT.readTree(line);
        return new Doc(n.get("text").asText(), n.get("meta").get("pile_set_name").asText());
    }

    /** {@code acodm prepare --tokenizer byte --quiet ARGS} in this JVM: exit code, stderr, stdout. */
    public static String[] prepareCli(String... args) {
        java.io.StringWriter out = new java.io.StringWriter(), err = new java.io.StringWriter();
        var cl = org.acodm.cli.Main.commandLine();
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        List<String> a = new ArrayList<>(List.of("prepare", "--tokenizer", "byte", "--quiet"));
        a.addAll(List.of(args));
        int rc = cl.execute(a.toArray(new String[0]));
        return new String[] {Integer.toString(rc), err.toString(), out.toString()};
    }
}
