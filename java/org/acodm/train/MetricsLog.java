package org.acodm.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.acodm.config.Mappers;

/**
 * RUN_DIR/metrics.jsonl: one JSON object per line, appended and flushed line by line. A checkpoint records
 * {@link #sync()}'s byte offset; resuming truncates the log back to it, so the records of steps redone
 * after a crash are written once, exactly as an uninterrupted run writes them.
 */
final class MetricsLog implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;

    private MetricsLog(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** Opens for appending after {@code offset} bytes (everything beyond is dropped); 0 starts afresh. */
    static MetricsLog open(Path path, long offset) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        if (ch.size() < offset) {
            ch.close();
            throw new IOException(path + " has " + ch.size() + " bytes but the checkpoint recorded " + offset
                    + " (the metrics log was truncated or replaced)");
        }
        ch.truncate(offset);
        ch.position(offset);
        return new MetricsLog(path, ch);
    }

    ObjectNode record(String type, long step) {
        ObjectNode n = Mappers.JSON.createObjectNode();
        n.put("type", type);
        n.put("step", step);
        return n;
    }

    void write(ObjectNode record) throws IOException {
        ByteBuffer b = ByteBuffer.wrap((Mappers.JSON.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) channel.write(b);
    }

    /** Forces the log to disk and returns its length: the offset a checkpoint records. */
    long sync() throws IOException {
        channel.force(false);
        return channel.position();
    }

    Path path() { return path; }

    @Override public void close() throws IOException {
        channel.force(false);
        channel.close();
    }
}
