import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps LeakedOrder instances: each line "grow N" on stdin adds N more, then prints
 * "grown TOTAL". Listens on a loopback port and keeps the file args[0] open, so a capture
 * has a known socket and a known file; prints "ready PORT" when set.
 */
public final class Grow {
    static final class LeakedOrder {
        final long id;
        final long createdAt;
        final long amount;
        final long customer;

        LeakedOrder(long id) {
            this.id = id;
            this.createdAt = System.nanoTime();
            this.amount = id * 3;
            this.customer = id % 97;
        }
    }

    static final List<LeakedOrder> KEPT = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        FileInputStream kept = new FileInputStream(args[0]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        System.out.println("ready " + listener.getLocalPort());
        System.out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("grow ")) {
                int n = Integer.parseInt(line.substring(5).trim());
                for (int i = 0; i < n; i++) {
                    KEPT.add(new LeakedOrder(KEPT.size()));
                }
                System.out.println("grown " + KEPT.size());
                System.out.flush();
            }
        }
        kept.close();
        listener.close();
    }
}
