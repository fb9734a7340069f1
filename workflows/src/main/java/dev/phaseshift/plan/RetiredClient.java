package dev.phaseshift.plan;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * A client seen on the source that will not move to the target, so its access there is not
 * checked. Every field that is given must match; one left out matches anything.
 *
 * @param user            the role it logs in as
 * @param address         its address as the source saw it (an IP address, a CIDR range such as
 *                        {@code 10.1.0.0/16}, or {@code local} for a Unix socket)
 * @param applicationName the {@code application_name} it sets
 * @param reason          why it is retired, for the audit trail and the report
 */
public record RetiredClient(String user, String address, String applicationName, String reason) {
  /**
   * An IPv4 or IPv6 literal, optionally with a prefix length; never a host name, which would need
   * DNS (an IPv4 octet over 255 would be looked up as a name, so it does not match).
   */
  private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])";
  private static final Pattern LITERAL = Pattern.compile(OCTET + "(\\." + OCTET + "){3}(/[0-9]{1,2})?"
      + "|[0-9a-fA-F:]*:[0-9a-fA-F:.]*(/[0-9]{1,3})?");

  /** Whether a client of this user, address (as the source saw it) and application name is meant. */
  public boolean matches(String clientUser, String clientAddress, String clientApplication) {
    return (user == null || user.equals(clientUser))
        && (applicationName == null || applicationName.equals(clientApplication))
        && (address == null || addressIn(clientAddress, address));
  }

  /** Whether {@code text} is a value {@code address} may take: an address, a CIDR range or {@code local}. */
  public static boolean validAddress(String text) {
    return text.equals("local") || LITERAL.matcher(text).matches();
  }

  /** Both sides are literals, so nothing is looked up (workflow code calls this too). */
  private static boolean addressIn(String address, String range) {
    if (range.equals("local") || address.equals("local")) return range.equals(address);
    if (!LITERAL.matcher(address).matches() || !LITERAL.matcher(range).matches()) return false;
    int slash = range.indexOf('/');
    try {
      byte[] a = InetAddress.getByName(address).getAddress();
      byte[] net = InetAddress.getByName(slash < 0 ? range : range.substring(0, slash)).getAddress();
      if (a.length != net.length) return false;
      int bits = slash < 0 ? a.length * 8 : Integer.parseInt(range.substring(slash + 1));
      for (int i = 0; i < a.length; i++) {
        int keep = Math.max(0, Math.min(8, bits - i * 8));
        int mask = keep == 0 ? 0 : (0xff << (8 - keep)) & 0xff;
        if ((a[i] & mask) != (net[i] & mask)) return false;
      }
      return true;
    } catch (UnknownHostException | NumberFormatException e) {
      return false;
    }
  }
}
