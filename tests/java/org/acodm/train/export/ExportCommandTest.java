package org.acodm.train.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.acodm.cli.Main;
import org.acodm.config.Mappers;
import org.acodm.engine.Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code acodm export hf} on a real (tiny) engine model: every tensor comes out bit for bit with its GPT-NeoX shape. */
class ExportCommandTest {
    @Test
    void exportsACheckpointToSafetensorsAndConfig(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("model.ckpt");
        try (Model m = new Model("tiny:layers=3", 11, "cpu")) {
            m.save(ckpt);
            CommandLine cl = Main.commandLine();
            StringWriter out = new StringWriter(), err = new StringWriter();
            cl.setOut(new PrintWriter(out));
            cl.setErr(new PrintWriter(err));
            int rc = cl.execute("export", "hf", "--checkpoint", ckpt.toString(), "--config", "tiny:layers=3", "--out", dir.resolve("hf").toString());
            assertEquals(0, rc, err.toString());
            assertTrue(out.toString().contains("(40 tensors, 3 layers, d_model 64)"), out.toString());

            SafetensorsReference.File f = SafetensorsReference.read(dir.resolve("hf/model.safetensors"));
            assertEquals(m.parameterNames(), new java.util.ArrayList<>(f.tensors().keySet()));
            GptNeoxDims dims = GptNeoxDims.parse(m.configString());
            for (String name : m.parameterNames()) {
                SafetensorsReference.Tensor t = f.tensors().get(name);
                assertArrayEquals(dims.shape(name), t.shape(), name);
                float[] want = m.parameter(name);
                assertEquals(want.length, t.values().length, name);
                for (int i = 0; i < want.length; i++)
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(t.values()[i]), name + "[" + i + "]");
            }
            JsonNode c = Mappers.JSON.readTree(dir.resolve("hf/config.json").toFile());
            assertEquals(3, c.get("num_hidden_layers").asInt());
            assertEquals(4, c.get("num_attention_heads").asInt());
            assertEquals(384, c.get("vocab_size").asInt());
            assertEquals(64, c.get("max_position_embeddings").asInt());
            assertEquals(256, c.get("eos_token_id").asInt());
        }
    }

    @Test
    void aMissingCheckpointIsOneClearLine(@TempDir Path dir) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute("export", "hf", "--checkpoint", dir.resolve("nope.ckpt").toString(), "--config", "tiny", "--out", dir.toString());
        assertEquals(1, rc);
        assertEquals("acodm: checkpoint " + dir.resolve("nope.ckpt") + " does not exist or is not readable", err.toString().trim());
    }

    /** {@code acodm export hf ARGS}: exit code and stderr. */
    private static String[] export(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 2];
        all[0] = "export";
        all[1] = "hf";
        System.arraycopy(args, 0, all, 2, args.length);
        return new String[] {Integer.toString(cl.execute(all)), err.toString().strip()};
    }

    /** Every entry under {@code dir} (folders too) with its bytes' hash code. */
    private static Map<String, Integer> contents(Path dir) throws IOException {
        Map<String, Integer> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList())
                m.put(dir.relativize(p).toString(), Files.isDirectory(p) ? 0 : java.util.Arrays.hashCode(Files.readAllBytes(p)));
        }
        return m;
    }

    /** Issue 19, item 4: an earlier export is replaced whole; any other non-empty folder is refused and left as it was. */
    @Test
    void anExportReplacesOnlyAnEarlierExportAndWhole(@TempDir Path dir) throws Exception {
        Path first = dir.resolve("first.ckpt"), second = dir.resolve("second.ckpt");
        try (Model a = new Model("tiny:layers=1", 1, "cpu"); Model b = new Model("tiny:layers=1", 2, "cpu")) {
            a.save(first);
            b.save(second);
        }
        Path hf = dir.resolve("hf");
        assertEquals("0", export("--checkpoint", first.toString(), "--config", "tiny:layers=1", "--out", hf.toString())[0]);
        Map<String, Integer> before = contents(hf);
        String[] r = export("--checkpoint", second.toString(), "--config", "tiny:layers=1", "--out", hf.toString());
        assertEquals("0", r[0], r[1]);
        Map<String, Integer> after = contents(hf);
        assertEquals(before.keySet(), after.keySet(), "config.json and model.safetensors, nothing else");
        assertNotEquals(before.get("model.safetensors"), after.get("model.safetensors"), "the second model's weights");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("first.ckpt", "hf", "second.ckpt"), s.map(p -> p.getFileName().toString()).sorted().toList(), "no staging folder left");
        }

        // Someone's folder, an export with a file added, a Hugging Face model that acodm did not write: refused, unchanged.
        Path mine = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "mine");
        Path withTokenizer = Files.createDirectories(dir.resolve("with-tokenizer"));
        Files.copy(hf.resolve("config.json"), withTokenizer.resolve("config.json"));
        Files.copy(hf.resolve("model.safetensors"), withTokenizer.resolve("model.safetensors"));
        Files.writeString(withTokenizer.resolve("tokenizer.json"), "{}");
        Path foreignModel = Files.createDirectories(dir.resolve("other-model"));
        Files.writeString(foreignModel.resolve("config.json"), "{\"model_type\": \"gpt_neox\"}");
        Files.write(foreignModel.resolve("model.safetensors"), new byte[] {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
        Map<Path, String> refusals = Map.of(
                mine, "acodm: --out " + mine + " is not empty and is not an earlier export (it holds notes.txt; an export is config.json and a "
                        + "model.safetensors written by acodm, nothing else): choose a new or empty --out. Nothing was changed",
                withTokenizer, "acodm: --out " + withTokenizer + " holds an earlier export and files it did not write (tokenizer.json); the export "
                        + "replaces the folder whole, so they would be lost: move them away or choose another --out. Nothing was changed",
                foreignModel, "acodm: --out " + foreignModel + " is not empty and is not an earlier export (it holds config.json, model.safetensors; "
                        + "an export is config.json and a model.safetensors written by acodm, nothing else): choose a new or empty --out. Nothing was changed");
        for (Map.Entry<Path, String> e : refusals.entrySet()) {
            Map<String, Integer> kept = contents(e.getKey());
            r = export("--checkpoint", second.toString(), "--config", "tiny:layers=1", "--out", e.getKey().toString());
            assertEquals("1", r[0], r[1]);
            assertEquals(e.getValue(), r[1]);
            assertEquals(kept, contents(e.getKey()));
        }
        // An empty folder is a new export's place.
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertEquals("0", export("--checkpoint", first.toString(), "--config", "tiny:layers=1", "--out", empty.toString())[0]);
        assertEquals(before, contents(empty));
    }

    /** A write that fails half-way (here: the 5th tensor) leaves the earlier export byte for byte, and nothing beside it. */
    @Test
    void aFailedExportLeavesTheEarlierOneAsItWas(@TempDir Path dir) throws Exception {
        Path hf = dir.resolve("hf");
        try (Model a = new Model("tiny:layers=1", 1, "cpu"); Model b = new Model("tiny:layers=1", 2, "cpu")) {
            ModelParameters pa = new ModelParameters(a);
            HuggingFaceExport.write(pa, pa.dims(), HuggingFaceExport.TokenIds.BYTE, hf);
            Map<String, Integer> before = contents(hf);
            ModelParameters pb = new ModelParameters(b);
            String failAt = pb.names().get(4);
            ParameterSource failing = new ParameterSource() {
                @Override public List<String> names() { return pb.names(); }
                @Override public long[] shape(String name) { return pb.shape(name); }
                @Override public float[] values(String name) {
                    if (name.equals(failAt)) throw new IllegalStateException("disk gone while writing " + name);
                    return pb.values(name);
                }
            };
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> HuggingFaceExport.write(failing, pb.dims(), HuggingFaceExport.TokenIds.BYTE, hf));
            assertEquals("disk gone while writing " + failAt, e.getMessage());
            assertEquals(before, contents(hf));
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(List.of("hf"), s.map(p -> p.getFileName().toString()).toList(), "the staging folder is removed");
            }
        }
    }
}
