package dev.pdpipeline.common.event;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A range of UTF-8 bytes that a generator writes as they are ({@code writeRawValue}): the original
 * {@code event} object of a delivery, so the envelope needs neither a tree nor re-encoding. The
 * unquoted methods are the ones a UTF-8 generator uses; the quoted and char ones decode and
 * delegate, for completeness.
 */
final class RawUtf8 implements SerializableString {

    private final byte[] bytes;
    private final int offset;
    private final int length;

    RawUtf8(byte[] bytes, int offset, int length) {
        this.bytes = Objects.requireNonNull(bytes, "bytes");
        Objects.checkFromIndexSize(offset, length, bytes.length);
        this.offset = offset;
        this.length = length;
    }

    @Override
    public String getValue() {
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }

    @Override
    public int charLength() {
        return getValue().length();
    }

    @Override
    public byte[] asUnquotedUTF8() {
        return Arrays.copyOfRange(bytes, offset, offset + length);
    }

    @Override
    public int appendUnquotedUTF8(byte[] buffer, int at) {
        if (at + length > buffer.length) {
            return -1;
        }
        System.arraycopy(bytes, offset, buffer, at, length);
        return length;
    }

    @Override
    public int writeUnquotedUTF8(OutputStream out) throws IOException {
        out.write(bytes, offset, length);
        return length;
    }

    @Override
    public int putUnquotedUTF8(ByteBuffer buffer) {
        if (buffer.remaining() < length) {
            return -1;
        }
        buffer.put(bytes, offset, length);
        return length;
    }

    @Override
    public int appendUnquoted(char[] buffer, int at) {
        String value = getValue();
        if (at + value.length() > buffer.length) {
            return -1;
        }
        value.getChars(0, value.length(), buffer, at);
        return value.length();
    }

    @Override
    public char[] asQuotedChars() {
        return quoted().asQuotedChars();
    }

    @Override
    public byte[] asQuotedUTF8() {
        return quoted().asQuotedUTF8();
    }

    @Override
    public int appendQuotedUTF8(byte[] buffer, int at) {
        return quoted().appendQuotedUTF8(buffer, at);
    }

    @Override
    public int appendQuoted(char[] buffer, int at) {
        return quoted().appendQuoted(buffer, at);
    }

    @Override
    public int writeQuotedUTF8(OutputStream out) throws IOException {
        return quoted().writeQuotedUTF8(out);
    }

    @Override
    public int putQuotedUTF8(ByteBuffer buffer) throws IOException {
        return quoted().putQuotedUTF8(buffer);
    }

    private SerializedString quoted() {
        return new SerializedString(getValue());
    }

    @Override
    public String toString() {
        return getValue();
    }
}
