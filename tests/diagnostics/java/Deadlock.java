import java.util.concurrent.locks.ReentrantLock;

/**
 * Two deadlocks: transfer-a/transfer-b take two monitors in opposite orders, queue-a/queue-b
 * two ReentrantLocks (parked, owners shown as ownable synchronizers); napper sleeps.
 */
public final class Deadlock {
    static final ReentrantLock INBOX = new ReentrantLock();
    static final ReentrantLock OUTBOX = new ReentrantLock();

    static final Object ACCOUNTS = new Object();
    static final Object LEDGER = new Object();

    public static void main(String[] args) throws Exception {
        Thread a = new Thread(() -> take(ACCOUNTS, LEDGER), "transfer-a");
        Thread b = new Thread(() -> take(LEDGER, ACCOUNTS), "transfer-b");
        Thread c = new Thread(() -> lock(INBOX, OUTBOX), "queue-a");
        Thread d = new Thread(() -> lock(OUTBOX, INBOX), "queue-b");
        a.start();
        b.start();
        c.start();
        d.start();
        Thread sleeper = new Thread(Deadlock::nap, "napper");
        sleeper.setDaemon(true);
        sleeper.start();
        System.out.println("ready");
        System.out.flush();
        a.join();
    }

    static void take(Object first, Object second) {
        synchronized (first) {
            pause(300);
            synchronized (second) {
                System.out.println("never");
            }
        }
    }

    static void lock(ReentrantLock first, ReentrantLock second) {
        first.lock();
        try {
            pause(300);
            second.lock();
            second.unlock();
        } finally {
            first.unlock();
        }
    }

    static void nap() {
        while (true) {
            pause(60_000);
        }
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
