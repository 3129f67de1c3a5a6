package org.acodm.train.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
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
}
