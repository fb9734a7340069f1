package dev.phaseshift.engine.postgres;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What the worker knows of a server's host when matching the address field of a pg_hba rule: the
 * server's address on the worker's own connection ({@code inet_server_addr()}, the one thing
 * PostgreSQL tells of its interfaces) and DNS as the worker resolves it. {@code samehost} and
 * {@code samenet} fit a loopback client and the client at that address for certain; for any other
 * client they depend on the host's other interfaces and netmasks, which no SQL function shows,
 * so they are undecided. A host name is resolved as the server does it: the client's address
 * resolved backwards must give that name (or end in it, for a name starting with a dot), and the
 * name resolved forwards must give the client's address again.
 */
final class PgHbaHost {
  /** Nothing known: samehost and samenet are undecided, host names are resolved. */
  static final PgHbaHost UNKNOWN = new PgHbaHost(null, Dns.SYSTEM);

  enum Fit { YES, NO, UNDECIDED }

  /** Name resolution, replaceable so that tests choose the answers. */
  interface Dns {
    /** The name the address resolves back to, or null when it has none. */
    String reverse(String address);

    /** The addresses the name resolves to, empty when it does not resolve. */
    List<String> forward(String name);

    Dns SYSTEM = new Dns() {
      @Override
      public String reverse(String address) {
        try {
          String name = InetAddress.getByName(address).getCanonicalHostName();
          // Java answers with the address itself when there is no PTR record.
          return name.equals(address) || literal(name) ? null : name;
        } catch (UnknownHostException e) {
          return null;
        }
      }

      @Override
      public List<String> forward(String name) {
        try {
          return Arrays.stream(InetAddress.getAllByName(name)).map(InetAddress::getHostAddress).toList();
        } catch (UnknownHostException e) {
          return List.of();
        }
      }
    };
  }

  private final String serverAddress;
  private final Dns dns;

  /**
   * @param serverAddress the server's address on the worker's connection, null over a socket
   */
  PgHbaHost(String serverAddress, Dns dns) {
    this.serverAddress = serverAddress;
    this.dns = dns;
  }

  /** Whether a rule's address field (as pg_hba_file_rules shows it) fits a TCP client. */
  Fit addressFits(String address, String netmask, String client) {
    if (address == null || address.equals("all")) return Fit.YES;
    if (address.equals("samehost") || address.equals("samenet")) {
      if (loopback(client) || same(client, serverAddress)) return Fit.YES;
      return Fit.UNDECIDED;
    }
    if (netmask != null) return inNet(client, address, netmask) ? Fit.YES : Fit.NO;
    return hostNameFits(address, client) ? Fit.YES : Fit.NO;
  }

  private boolean hostNameFits(String rule, String client) {
    String name = dns.reverse(client);
    if (name == null) return false;
    String n = name.toLowerCase(Locale.ROOT);
    String r = rule.toLowerCase(Locale.ROOT);
    boolean named = r.startsWith(".") ? n.endsWith(r) : n.equals(r);
    return named && dns.forward(name).stream().anyMatch(a -> same(a, client));
  }

  /** How a rule's address is written, for the message. */
  static String kind(String address) {
    return switch (address) {
      case "samehost" -> "samehost";
      case "samenet" -> "samenet";
      default -> "host name " + address;
    };
  }

  /** Why a rule cannot be judged from the worker. */
  static String why(String address) {
    return switch (address) {
      case "samehost" -> "which depends on the addresses of the target host's interfaces, which the worker cannot list";
      case "samenet" -> "which depends on the subnets of the target host's interfaces, which the worker cannot list";
      default -> "which the target host resolves with its own DNS";
    };
  }

  private static boolean loopback(String client) {
    try {
      return InetAddress.getByName(client).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static boolean same(String a, String b) {
    if (a == null || b == null) return false;
    try {
      return InetAddress.getByName(a).equals(InetAddress.getByName(b));
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static boolean inNet(String client, String address, String netmask) {
    try {
      byte[] c = InetAddress.getByName(client).getAddress();
      byte[] a = InetAddress.getByName(address).getAddress();
      byte[] m = InetAddress.getByName(netmask).getAddress();
      if (c.length != a.length || a.length != m.length) return false;
      for (int i = 0; i < c.length; i++) {
        if ((c[i] & m[i]) != (a[i] & m[i])) return false;
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** An IPv4 or IPv6 literal, which must not be looked up as a name. */
  static boolean literal(String s) {
    return s.matches("[0-9.]+") || s.contains(":");
  }
}
