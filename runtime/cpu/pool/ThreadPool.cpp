//===- ThreadPool.cpp - the artifact's thread pool behind OpenMP's ABI ----===//
//
// Part of lbc, the low-bit compiler.
//
//===----------------------------------------------------------------------===//
//
// Parallel loops reach code generation as OpenMP worksharing loops
// (scf.forall -> omp.parallel + omp.wsloop), which LLVM's OpenMPIRBuilder
// turns into calls of five entry points of LLVM's OpenMP runtime:
// __kmpc_fork_call, __kmpc_for_static_init_8u, __kmpc_for_static_fini,
// __kmpc_global_thread_num and __kmpc_barrier. This file implements them
// over a pool of its own; it is compiled to bitcode with the microkernels
// and linked into every artifact that has parallel loops (Ukernels.cpp), so
// an artifact depends on no OpenMP library.
//
// Why not libomp: a libomp region ends at a barrier that every thread of
// the team must reach, so a worker the OS or the hypervisor has descheduled
// stalls the caller until it runs again (one scheduler tick, 4 ms, on this
// project's 2-vCPU VMs: a 60 us model measured 4 ms per run on 2 threads).
// Here a region is cut into more tasks (virtual OpenMP threads, each running
// the outlined body with its own thread number) than there are threads.
// Each thread owns a contiguous run of tasks, as a static schedule would
// give it, and takes them in order; a thread out of tasks takes the tasks
// of threads that have not started theirs. The caller returns once every
// task has run: a worker that has not woken up is not waited for (its
// tasks are taken from it). Owned runs matter: handing tasks out one at a
// time in order made neighbouring threads stream neighbouring column
// blocks of a weight at once, which measured 1.7x slower for the 8-row
// projections of a hidden-768 layer.
//
// What the generated code guarantees and this relies on: each parallel
// region is one worksharing loop with independent iterations whose
// implicit barrier is the region's last act (so tasks may run one after
// another on one thread, and __kmpc_barrier has nothing left to order),
// and static schedules over canonical loops (lower bound 0, step 1).
//
//===----------------------------------------------------------------------===//

#include <atomic>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <ctime>

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

/// The outlined body of a parallel region: (global thread number, bound
/// thread number, captured values...).
typedef void (*Microtask)(int32_t *, int32_t *, ...);

/// OpenMPIRBuilder passes the captured values as one aggregate; a few more
/// are accepted.
constexpr int kMaxArguments = 8;
constexpr int kMaxThreads = 256;
/// Tasks per thread of a region: more than one, so that a short loop's
/// iterations spread over the threads' runs the way a static schedule
/// spreads them (see __kmpc_for_static_init_8u).
constexpr int32_t kTasksPerThread = 4;
/// How long an idle worker spins before it sleeps: the gaps between the
/// regions of one run are shorter, and a sleeping worker takes tens of
/// microseconds to wake.
constexpr int64_t kSpinNanoseconds = 2000000;

inline void cpuRelax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  // A builtin, not inline asm: lbc-opt has no assembler parser to run.
  __builtin_arm_yield();
#endif
}

int64_t nowNanoseconds() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

/// A thread's run of tasks [begin, end) as one word (begin in the low
/// half, with kStarted once its owner has taken one): the owner takes from
/// the front; another thread takes from the back of a run whose owner has
/// not started (an absent worker). Taking from a working owner would set
/// two threads on neighbouring blocks at once (see above), for a gain that
/// only the last few tasks of a region could bring.
struct alignas(64) TaskRun {
  std::atomic<uint64_t> bounds{0};
};

constexpr uint32_t kStarted = 1u << 31;

uint64_t packRun(uint32_t begin, uint32_t end) {
  return uint64_t(end) << 32 | begin;
}

struct Pool {
  /// Bumped for each region; the futex idle workers sleep on (its own
  /// cache line: idle workers spin on it).
  alignas(64) std::atomic<uint32_t> generation{0};
  alignas(64) std::atomic<int32_t> doneTasks{0};
  TaskRun runs[kMaxThreads];
  std::atomic<int32_t> sleepers{0};
  /// Held by the thread running a region (one region at a time; others
  /// run theirs alone).
  std::atomic<bool> busy{false};
  /// Whether workers may claim tasks of the current region.
  std::atomic<bool> open{false};
  /// Workers between checking `open` and leaving the region: the region's
  /// fields stay untouched until none is left.
  std::atomic<int32_t> inside{0};
  /// Threads of the current region (the caller is thread 0, worker i is
  /// thread i + 1): workers with a higher number sit it out.
  std::atomic<int32_t> participants{0};
  std::atomic<bool> stopping{false};
  /// Threads per region (the caller included); 0 until chosen.
  std::atomic<int32_t> threads{0};
  // The current region, written before `open` is set.
  Microtask microtask = nullptr;
  int32_t argumentCount = 0, tasks = 0;
  void *arguments[kMaxArguments] = {};
  // Started workers (guarded by `busy`, and by the unload destructor).
  pthread_t workers[kMaxThreads];
  int32_t workerCount = 0;
};

Pool pool;

// The task the calling thread is running and the region's task count:
// what __kmpc_global_thread_num and __kmpc_for_static_init_8u report.
thread_local int32_t currentTask = 0;
thread_local int32_t currentTasks = 1;

void runTask(Microtask microtask, int32_t argumentCount, void *const *a,
             int32_t task, int32_t tasks) {
  int32_t savedTask = currentTask, savedTasks = currentTasks;
  currentTask = task;
  currentTasks = tasks;
  int32_t globalThread = task, boundThread = task;
  int32_t *g = &globalThread, *b = &boundThread;
  switch (argumentCount) {
  case 0:
    microtask(g, b);
    break;
  case 1:
    microtask(g, b, a[0]);
    break;
  case 2:
    microtask(g, b, a[0], a[1]);
    break;
  case 3:
    microtask(g, b, a[0], a[1], a[2]);
    break;
  case 4:
    microtask(g, b, a[0], a[1], a[2], a[3]);
    break;
  case 5:
    microtask(g, b, a[0], a[1], a[2], a[3], a[4]);
    break;
  case 6:
    microtask(g, b, a[0], a[1], a[2], a[3], a[4], a[5]);
    break;
  case 7:
    microtask(g, b, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    break;
  default:
    microtask(g, b, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    break;
  }
  currentTask = savedTask;
  currentTasks = savedTasks;
}

/// Takes one task of `run` as its owner or not; -1 when there is none to
/// take.
int32_t takeTask(TaskRun &run, bool owner) {
  uint64_t bounds = run.bounds.load(std::memory_order_relaxed);
  for (;;) {
    uint32_t begin = uint32_t(bounds) & ~kStarted, end = uint32_t(bounds >> 32);
    bool started = uint32_t(bounds) & kStarted;
    if (begin >= end || (!owner && started))
      return -1;
    uint64_t rest =
        owner ? packRun((begin + 1) | kStarted, end) : packRun(begin, end - 1);
    if (run.bounds.compare_exchange_weak(
            bounds, rest, std::memory_order_acq_rel, std::memory_order_relaxed))
      return int32_t(owner ? begin : end - 1);
  }
}

/// Runs thread `self`'s tasks of the open region, then other threads'
/// until none is left.
void runTasks(int32_t self, int32_t threads) {
  for (int32_t offset = 0; offset < threads; ++offset) {
    int32_t owner = (self + offset) % threads;
    for (int32_t task; (task = takeTask(pool.runs[owner], offset == 0)) >= 0;) {
      runTask(pool.microtask, pool.argumentCount, pool.arguments, task,
              pool.tasks);
      pool.doneTasks.fetch_add(1, std::memory_order_release);
    }
  }
}

long futex(std::atomic<uint32_t> *word, int operation, uint32_t value) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t *>(word),
                 operation | FUTEX_PRIVATE_FLAG, value, nullptr, nullptr, 0);
}

/// Returns once the generation differs from `seen`: spinning first, then
/// asleep on the futex.
void waitForRegion(uint32_t seen) {
  int64_t deadline = nowNanoseconds() + kSpinNanoseconds;
  for (int spins = 1;; ++spins) {
    if (pool.generation.load(std::memory_order_acquire) != seen)
      return;
    cpuRelax();
    if (spins % 256 == 0 && nowNanoseconds() > deadline)
      break;
  }
  while (pool.generation.load(std::memory_order_acquire) == seen) {
    pool.sleepers.fetch_add(1, std::memory_order_seq_cst);
    futex(&pool.generation, FUTEX_WAIT, seen);
    pool.sleepers.fetch_sub(1, std::memory_order_relaxed);
  }
}

void *workerMain(void *indexAsPointer) {
  int32_t index = int32_t(reinterpret_cast<intptr_t>(indexAsPointer));
  uint32_t seen = 0;
  for (;;) {
    waitForRegion(seen);
    seen = pool.generation.load(std::memory_order_acquire);
    if (pool.stopping.load(std::memory_order_acquire))
      return nullptr;
    // Entering before looking at `open` (both sequentially consistent, as
    // the caller's closing store and its wait for `inside`): either the
    // caller waits for this worker, or the worker sees the region closed.
    pool.inside.fetch_add(1, std::memory_order_seq_cst);
    int32_t threads = pool.participants.load(std::memory_order_relaxed);
    if (pool.open.load(std::memory_order_seq_cst) && index + 1 < threads)
      runTasks(index + 1, threads);
    pool.inside.fetch_sub(1, std::memory_order_seq_cst);
  }
}

int32_t clampThreads(long count) {
  return count < 1 ? 1 : count > kMaxThreads ? kMaxThreads : int32_t(count);
}

/// OMP_NUM_THREADS when set, else the CPUs this process may run on.
int32_t defaultThreads() {
  if (const char *text = getenv("OMP_NUM_THREADS")) {
    long count = strtol(text, nullptr, 10);
    if (count > 0)
      return clampThreads(count);
  }
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
    return clampThreads(CPU_COUNT(&cpus));
  return clampThreads(sysconf(_SC_NPROCESSORS_ONLN));
}

int32_t regionThreads() {
  int32_t threads = pool.threads.load(std::memory_order_relaxed);
  if (threads > 0)
    return threads;
  threads = defaultThreads();
  pool.threads.store(threads, std::memory_order_relaxed);
  return threads;
}

/// Starts workers up to `count` (called holding `busy`); a region runs
/// with fewer when the system refuses threads.
void startWorkers(int32_t count) {
  while (pool.workerCount < count &&
         pthread_create(&pool.workers[pool.workerCount], nullptr, workerMain,
                        reinterpret_cast<void *>(intptr_t(pool.workerCount))) ==
             0)
    ++pool.workerCount;
}

} // namespace

extern "C" {

/// The threads of the artifact's parallel regions, the caller included
/// (`count` <= 0: OMP_NUM_THREADS, else the CPUs of the process). Exported:
/// the runtime calls it before each run of a model with a thread count.
__attribute__((visibility("default"))) void lbc_set_num_threads(int32_t count) {
  pool.threads.store(count > 0 ? clampThreads(count) : defaultThreads(),
                     std::memory_order_relaxed);
}

/// Stops and joins the workers: the artifact's code must not be unmapped
/// under them. Registered as a destructor of the artifact (Ukernels.cpp).
void lbc_thread_pool_shutdown() {
  pool.stopping.store(true, std::memory_order_release);
  pool.generation.fetch_add(1, std::memory_order_seq_cst);
  futex(&pool.generation, FUTEX_WAKE, INT_MAX);
  for (int32_t i = 0; i < pool.workerCount; ++i)
    pthread_join(pool.workers[i], nullptr);
  pool.workerCount = 0;
}

int32_t __kmpc_global_thread_num(void *) { return currentTask; }

void __kmpc_fork_call(void *, int32_t argumentCount, Microtask microtask, ...) {
  void *arguments[kMaxArguments];
  if (argumentCount > kMaxArguments)
    __builtin_trap();
  va_list list;
  va_start(list, microtask);
  for (int32_t i = 0; i < argumentCount; ++i)
    arguments[i] = va_arg(list, void *);
  va_end(list);
  int32_t threads = regionThreads();
  bool idle = false;
  // One thread, a region inside a task, or another thread's region under
  // way (concurrent runs of a model): the calling thread runs it alone.
  if (threads == 1 || currentTasks > 1 ||
      !pool.busy.compare_exchange_strong(idle, true,
                                         std::memory_order_acquire)) {
    runTask(microtask, argumentCount, arguments, 0, 1);
    return;
  }
  startWorkers(threads - 1);
  pool.microtask = microtask;
  pool.argumentCount = argumentCount;
  for (int32_t i = 0; i < argumentCount; ++i)
    pool.arguments[i] = arguments[i];
  pool.tasks = threads * kTasksPerThread;
  for (int32_t t = 0; t < threads; ++t)
    pool.runs[t].bounds.store(
        packRun(t * kTasksPerThread, (t + 1) * kTasksPerThread),
        std::memory_order_relaxed);
  pool.doneTasks.store(0, std::memory_order_relaxed);
  pool.participants.store(threads, std::memory_order_relaxed);
  pool.open.store(true, std::memory_order_seq_cst);
  pool.generation.fetch_add(1, std::memory_order_seq_cst);
  if (pool.sleepers.load(std::memory_order_seq_cst) > 0)
    futex(&pool.generation, FUTEX_WAKE, INT_MAX);
  runTasks(0, threads);
  // Only tasks that workers are running are waited for: the others have
  // been taken from them.
  while (pool.doneTasks.load(std::memory_order_acquire) < pool.tasks)
    cpuRelax();
  pool.open.store(false, std::memory_order_seq_cst);
  while (pool.inside.load(std::memory_order_seq_cst) > 0)
    cpuRelax();
  pool.busy.store(false, std::memory_order_release);
}

/// The static schedule of a canonical loop [*lower, *upper] over the
/// region's tasks: task t gets iterations [t * trips / tasks, (t + 1) *
/// trips / tasks) (none: *upper = *lower - 1), *stride the whole range.
/// With fewer iterations than tasks the non-empty tasks are spread out, so
/// that each thread's run of tasks holds its even share, as libomp's
/// static schedule would give it.
void __kmpc_for_static_init_8u(void *, int32_t globalThread, int32_t,
                               int32_t *lastIteration, uint64_t *lower,
                               uint64_t *upper, int64_t *stride,
                               int64_t increment, int64_t) {
  uint64_t first = *lower, last = *upper;
  uint64_t step = increment > 0 ? uint64_t(increment) : 1;
  uint64_t tasks = uint64_t(currentTasks), task = uint64_t(globalThread);
  if (last < first || task >= tasks) {
    *lastIteration = 0;
    *upper = *lower - 1;
    *stride = 0;
    return;
  }
  uint64_t trips = (last - first) / step + 1;
  uint64_t begin = trips * task / tasks, end = trips * (task + 1) / tasks;
  uint64_t count = end - begin;
  *stride = int64_t(trips * step);
  *lastIteration = count > 0 && end == trips;
  if (count == 0) {
    *lower = 1;
    *upper = 0;
    return;
  }
  *lower = first + begin * step;
  *upper = first + (begin + count - 1) * step;
}

void __kmpc_for_static_fini(void *, int32_t) {}

/// The implicit barrier that ends a region's worksharing loop: the region's
/// last act, so the end of the region (all tasks done) already provides it.
void __kmpc_barrier(void *, int32_t) {}

} // extern "C"
