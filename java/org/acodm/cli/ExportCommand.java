package org.acodm.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.acodm.engine.Model;
import org.acodm.train.export.GptNeoxDims;
import org.acodm.train.export.HuggingFaceExport;
import org.acodm.train.export.ModelParameters;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code acodm export}: convert a trained model to other ecosystems' formats. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Export a trained model.",
        subcommands = {ExportCommand.HuggingFace.class, CommandLine.HelpCommand.class})
public final class ExportCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code acodm export hf}: a directory that transformers' GPTNeoXForCausalLM.from_pretrained loads. */
    @Command(name = "hf", mixinStandardHelpOptions = true,
            description = "Write model.safetensors (float32) and config.json for Hugging Face GPTNeoXForCausalLM from an acodm model checkpoint.")
    static final class HuggingFace implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "Model checkpoint written by acodm (Model.save).")
        Path checkpoint;

        @Option(names = "--config", required = true, paramLabel = "MODEL_CONFIG",
                description = "The model config the checkpoint was trained with, e.g. 410m or demo-target (model.config of the run).")
        String config;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = {"Output directory: new, empty, or an earlier export (config.json and an acodm model.safetensors, nothing else),",
                "which is replaced whole; anything else is refused."})
        Path out;

        @Option(names = "--bos-token-id", paramLabel = "ID", description = "Default: 256 for byte-level vocabularies (<= 512), else 0 (GPT-NeoX <|endoftext|>).")
        Integer bos;

        @Option(names = "--eos-token-id", paramLabel = "ID", description = "Default: as --bos-token-id.")
        Integer eos;

        @Override public Integer call() throws Exception {
            if (java.nio.file.Files.isDirectory(checkpoint)) {
                Path inside = checkpoint.resolve("model.ckpt");
                throw new IllegalArgumentException("--checkpoint " + checkpoint + " is a directory; pass a model checkpoint file"
                        + (java.nio.file.Files.isRegularFile(inside) ? ", e.g. " + inside
                        : ", e.g. RUN_DIR/checkpoints/step-NNNNNNNNN/model.ckpt"));
            }
            HuggingFaceExport.requireReplaceable(out);  // before a model of possibly billions of weights is loaded
            try (Model model = new Model(config, 0, "cpu")) {
                model.load(checkpoint);
                ModelParameters params = new ModelParameters(model);
                GptNeoxDims dims = params.dims();
                HuggingFaceExport.TokenIds guess = HuggingFaceExport.TokenIds.guess(dims);
                HuggingFaceExport.TokenIds ids = new HuggingFaceExport.TokenIds(bos != null ? bos : guess.bos(), eos != null ? eos : guess.eos());
                checkTokenId("--bos-token-id", ids.bos(), dims.vocab());
                checkTokenId("--eos-token-id", ids.eos(), dims.vocab());
                Path[] files = HuggingFaceExport.write(params, dims, ids, out);
                var o = spec.commandLine().getOut();
                o.printf("exported %,d parameters (%d tensors, %d layers, d_model %d) to %s and %s%n", model.numParameters(), params.names().size(),
                        dims.layers(), dims.dModel(), files[0], files[1]);
                o.flush();
            }
            return 0;
        }

        private static void checkTokenId(String option, int id, int vocab) {
            if (id < 0 || id >= vocab)
                throw new IllegalArgumentException(option + " " + id + " is outside the model's vocabulary [0, " + vocab + ")");
        }
    }
}
