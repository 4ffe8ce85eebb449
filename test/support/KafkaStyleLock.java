// Takes the lock Kafka's FileLock takes on a log dir's `.lock` (FileChannel.tryLock: a POSIX record
// lock on the whole file), prints "locked <pid>" or "held", and keeps it until stdin closes.
// Run as a single-file program: java test/support/KafkaStyleLock.java DIR/.lock
import java.io.File;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;

public class KafkaStyleLock {
  public static void main(String[] args) throws Exception {
    FileChannel channel = new RandomAccessFile(new File(args[0]), "rw").getChannel();
    FileLock lock = channel.tryLock();
    System.out.println(lock == null ? "held" : "locked " + ProcessHandle.current().pid());
    System.out.flush();
    while (System.in.read() != -1) {}
    if (lock != null) lock.release();
  }
}
