package dev.pdpipeline.ingress.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 address block such as {@code 10.0.0.0/8} or {@code 2001:db8::/32}; a bare address
 * is a block of one. Parsing never resolves names: only literals are accepted, so a typo cannot
 * turn into a DNS lookup at start or per request.
 */
public final class Cidr {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final byte[] network;
    private final int prefix;
    private final String text;

    private Cidr(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /**
     * @throws IllegalArgumentException naming what is wrong with {@code text}
     */
    public static Cidr parse(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.strip();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        InetAddress parsed = literal(address)
                .orElseThrow(() -> new IllegalArgumentException("'" + trimmed + "' is not an IPv4 or IPv6 address"
                        + " or CIDR block"));
        int bits = parsed.getAddress().length * 8;
        int prefix = bits;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(trimmed.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException("'" + trimmed + "' has a prefix length outside 0-" + bits);
            }
        }
        return new Cidr(mask(parsed.getAddress(), prefix), prefix, trimmed);
    }

    /** Parses a comma-separated list; blank entries are skipped. */
    public static List<Cidr> parseList(String commaSeparated) {
        List<Cidr> blocks = new ArrayList<>();
        if (commaSeparated == null) {
            return blocks;
        }
        for (String part : commaSeparated.split(",")) {
            if (!part.isBlank()) {
                blocks.add(parse(part));
            }
        }
        return List.copyOf(blocks);
    }

    /**
     * An IP literal (IPv4 dotted quad, or IPv6 with optional brackets and zone), without any name
     * lookup; empty when {@code text} is anything else.
     */
    public static Optional<InetAddress> literal(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String s = text.strip();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        int zone = s.indexOf('%');
        if (zone >= 0) {
            s = s.substring(0, zone);
        }
        boolean v4 = IPV4.matcher(s).matches();
        boolean v6 = s.indexOf(':') >= 0 && s.chars().allMatch(c -> c == ':' || c == '.'
                || Character.digit(c, 16) >= 0 && c < 0x80);
        if (!v4 && !v6) {
            return Optional.empty();
        }
        try {
            // a literal: InetAddress parses it without a lookup
            return Optional.of(InetAddress.getByName(s));
        } catch (UnknownHostException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code address} lies in this block (IPv4-mapped IPv6 addresses count as IPv4). */
    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length != network.length) {
            return false;
        }
        return java.util.Arrays.equals(mask(bytes, prefix), network);
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] masked = address.clone();
        for (int i = 0; i < masked.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            masked[i] &= (byte) (0xff << (8 - keep));
        }
        return masked;
    }

    @Override
    public String toString() {
        return text;
    }
}
