// m4sim native binding: a unicorn.js-shaped wrapper over Debian's libunicorn, a Capstone
// disassembler entry point, and the block profiler that runs entirely in C.
//
// Why the profiler is native: crossing into JavaScript once per executed translation block costs
// about 20x the emulation itself, so the block hook counts executions, taken branches, modeled cycles,
// the stack low-water mark and the shadow call stack here, and asks JavaScript (the cycle model) only
// once per newly translated block for that block's static cost.
//
// Exceptions thrown by JavaScript hooks are stored, emulation is stopped, and the error is rethrown
// from emu_start once uc_emu_start has returned (never across Unicorn's C frames).

#include <napi.h>
#include <unicorn/unicorn.h>
#include <capstone/capstone.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// M4SIM_VERIFY_SP: check the block profiler's tracked SP against the engine's (Unicorn::SpAtEntry).
const bool kVerifySp = [] {
  const char* v = std::getenv("M4SIM_VERIFY_SP");
  return v != nullptr && v[0] == '1';
}();

// Flags the cycle model sets on a block (mirrored in src/emulator/native.ts).
constexpr uint32_t BLOCK_COND_BRANCH = 1;  // ends in a conditional branch: taken costs takenCycles more
constexpr uint32_t BLOCK_CALL = 2;         // ends in BL/BLX: the next block is a callee when it is not the fall-through
constexpr uint32_t BLOCK_SP_DYNAMIC = 4;   // writes SP with a value unknown statically (mov sp, rN; sub sp, rN)
constexpr uint32_t BLOCK_SP_LOWERS = 8;    // lowers SP by a static amount somewhere in the block
constexpr uint32_t BLOCK_INDIRECT = 16;    // ends in an indirect branch (bx, pop {pc}, ldr pc …): maybe a return
constexpr uint32_t BLOCK_HANG = 32;        // b . / WFI / WFE: no progress without interrupts, stop here
// The block holds trap checks of this kind (evaluated at block entry while the trap is armed, see
// Trapped): alignment that always faults, alignment under CCR.UNALIGN_TRP, SDIV/UDIV by zero under
// CCR.DIV_0_TRP, FPU instructions while CPACR denies CP10/CP11.
constexpr uint32_t BLOCK_CHECK_ALIGN = 64;
constexpr uint32_t BLOCK_CHECK_UNALIGN = 128;
constexpr uint32_t BLOCK_CHECK_DIV0 = 256;
constexpr uint32_t BLOCK_CHECK_FP = 512;
// Writes PRIMASK/BASEPRI/FAULTMASK (MSR, CPS): when an exception is pending but masked (maskWatch_),
// the next block boundary stops so the run loop can take it (src/emulator/exceptions.ts).
constexpr uint32_t BLOCK_MASK_WRITE = 1024;
// Translated in ARM state (EPSR.T = 0 after a BX to an even address): ARMv7-M executes no ARM code;
// the block stops before it runs as trap TRAP_INVSTATE (an INVSTATE UsageFault, B3.2.15).
constexpr uint32_t BLOCK_INVSTATE = 2048;
constexpr uint32_t TRAP_INVSTATE = 5;
// The block's first FPU instruction, checked while a lazy FP state preservation is pending
// (FPCCR.LSPACT, ARMv7-M ARM B1.5.7): the run stops before it so m4sim performs PreserveFPState.
constexpr uint32_t BLOCK_CHECK_LAZYFP = 4096;
// Ends in a direct branch (B, B<cond>) to the entry of another function: taken, it is a tail call.
constexpr uint32_t BLOCK_TAILCALL = 8192;
// An SP write inside an IT block (it may not happen): SP after the block is read, not computed.
constexpr uint32_t BLOCK_SP_UNTRACKED = 16384;
// After these blocks SP is not SP at entry + spNet: a dynamic or conditional SP write, or an MSR
// (MSP, PSP, or CONTROL.SPSEL switching the stack in use, ARMv7-M ARM B1.4.4).
constexpr uint32_t BLOCK_SP_REREAD = BLOCK_SP_DYNAMIC | BLOCK_MASK_WRITE | BLOCK_SP_UNTRACKED;
constexpr uint32_t BLOCK_CHECKS =
    BLOCK_CHECK_ALIGN | BLOCK_CHECK_UNALIGN | BLOCK_CHECK_DIV0 | BLOCK_CHECK_FP | BLOCK_CHECK_LAZYFP;
// Native only: some check of the block is armed now. Kept up to date in every block when CCR or
// CPACR change (rare), so OnBlock tests it with the other rare flags in one immediate test.
constexpr uint32_t BLOCK_TRAP_ARMED = 1u << 31;
// Native only: the block starts at a break function (_sbrk, _sbrk_r, sbrk). Set when the block is
// translated, so that OnBlock finds a break call with a flag test on the block it already holds
// instead of comparing every block's address with a list.
constexpr uint32_t BLOCK_BREAK_ENTRY = 1u << 30;

// Trap kinds (mirrored in src/emulator/trap-checks.ts).
constexpr uint32_t TRAP_ALIGN = 1;    // LDRD/STRD/LDM/STM/LDREX/STREX/VLDR… not aligned: UsageFault UNALIGNED, always
constexpr uint32_t TRAP_UNALIGN = 2;  // LDR/STR/LDRH/STRH… not aligned with CCR.UNALIGN_TRP: UNALIGNED
constexpr uint32_t TRAP_DIV0 = 3;     // SDIV/UDIV by zero with CCR.DIV_0_TRP: DIVBYZERO
constexpr uint32_t TRAP_FP = 4;       // FPU instruction with CPACR CP10/CP11 denied: NOCP
constexpr uint32_t TRAP_LAZYFP = 6;   // first FPU instruction while FPCCR.LSPACT: deferred FP save (no fault)

// One static check of one instruction of a block. The value tested is
// offset + R[base] ± (R[index] << shift) with the registers as they are at block entry
// (src/emulator/trap-checks.ts only emits a check when that is the instruction's address or divisor,
// or 0 for an FPU check); base or index -1: none.
struct TrapCheck {
  uint32_t pc;
  uint32_t kind;
  uint32_t cond;  // Capstone arm_cc of the instruction (15 AL, 0 none), evaluated on APSR at entry
  int32_t base;
  int32_t index;
  uint32_t shift;
  uint32_t subtract;
  uint32_t offset;
  uint32_t alignMask;  // TRAP_ALIGN / TRAP_UNALIGN: fault when value & alignMask != 0
};
constexpr int kTrapCheckFields = 9;

struct BlockInfo {
  uint32_t address;
  uint32_t size;
  uint32_t instructions;
  uint32_t cycles;       // cost when the final branch (if conditional) is not taken
  uint32_t takenCycles;  // extra cost when the final conditional branch is taken
  uint32_t flags;
  uint32_t fallthrough;  // address + size
  int32_t spPreMin;      // lowest SP offset from block entry, before any dynamic SP write (<= 0)
  int32_t spPostMin;     // lowest SP offset after the last dynamic SP write, relative to its result
  int32_t spPostNet;     // SP at block exit minus SP right after the last dynamic SP write
  int32_t spNet;         // SP at block exit minus SP at entry, unless BLOCK_SP_REREAD
  uint64_t execs;
  uint64_t taken;
  int32_t nextFall;  // block last entered through the fall-through edge, or -1
  int32_t nextJump;  // block last entered through a jump from here, or -1
  int32_t callNode;  // call-tree node this call site (a BLOCK_CALL block) entered last time, or -1
};

// One activation on the shadow call stack.
struct Frame {
  uint32_t function;
  uint32_t ret;     // return address (Thumb bit clear), or kExceptionFrame / kNoReturn
  uint32_t callSp;  // SP at the call (AAPCS: the callee returns with it); exception frames: the frame address
  int32_t node;     // call-tree node of this activation
};
// `ret` of an exception handler's frame (left through an exception return, never by a branch) and
// of a function entered other than by a call (a tail call from the reset handler, a thread started
// by an exception return): odd, so no block address equals it.
constexpr uint32_t kExceptionFrame = 1;
constexpr uint32_t kNoReturn = 3;

// A function's address range for the shadow stack: [start, end) belongs to the function entered at
// `entry` (a GCC `.cold` part belongs to its parent).
struct FunctionRange {
  uint32_t start;
  uint32_t end;
  uint32_t entry;
};

// One node of the calling-context tree: a function reached by one call path. Node 0 is the root
// (the reset handler, which nobody calls). Cycles and instructions are charged to the node on top
// of the shadow stack at each call and return, from a running counter, so the per-block cost is
// two additions.
struct CallNode {
  uint32_t function;
  int32_t parent;
  int32_t firstChild;
  int32_t nextSibling;
  uint64_t calls;
  uint64_t selfCycles;
  uint64_t selfInstructions;
};

class Unicorn;

struct JsHook {
  Unicorn* self;
  Napi::FunctionReference fn;
  Napi::FunctionReference fn2;  // mmio write callback
  int type;
  uc_hook handle;
};

uint64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class Unicorn : public Napi::ObjectWrap<Unicorn> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(
        env, "Unicorn",
        {
            InstanceMethod("ctl_set_cpu_model", &Unicorn::CtlSetCpuModel),
            InstanceMethod("mem_map", &Unicorn::MemMap),
            InstanceMethod("mem_read", &Unicorn::MemRead),
            InstanceMethod("mem_write", &Unicorn::MemWrite),
            InstanceMethod("reg_read_i32", &Unicorn::RegReadI32),
            InstanceMethod("reg_write_i32", &Unicorn::RegWriteI32),
            InstanceMethod("emu_start", &Unicorn::EmuStart),
            InstanceMethod("emu_stop", &Unicorn::EmuStop),
            InstanceMethod("hook_add", &Unicorn::HookAdd),
            InstanceMethod("hook_del", &Unicorn::HookDel),
            InstanceMethod("mmio_map", &Unicorn::MmioMap),
            InstanceMethod("close", &Unicorn::Close),
            InstanceMethod("profile_enable", &Unicorn::ProfileEnable),
            InstanceMethod("profile_counters", &Unicorn::ProfileCounters),
            InstanceMethod("profile_blocks", &Unicorn::ProfileBlocks),
            InstanceMethod("profile_deepest_path", &Unicorn::ProfileDeepestPath),
            InstanceMethod("profile_call_stack", &Unicorn::ProfileCallStack),
            InstanceMethod("profile_calls", &Unicorn::ProfileCalls),
            InstanceMethod("profile_window_min_sp", &Unicorn::ProfileWindowMinSp),
            InstanceMethod("cycles", &Unicorn::Cycles),
            InstanceMethod("trap_config", &Unicorn::TrapConfig),
            InstanceMethod("exc_stop_at", &Unicorn::ExcStopAt),
            InstanceMethod("exc_boundary", &Unicorn::ExcBoundary),
            InstanceMethod("exc_state", &Unicorn::ExcState),
            InstanceMethod("exc_note_sp", &Unicorn::ExcNoteSp),
            InstanceMethod("exc_min_sp", &Unicorn::ExcMinSp),
            InstanceMethod("exc_regs", &Unicorn::ExcRegs),
            InstanceMethod("exc_psp_window", &Unicorn::ExcPspWindow),
            InstanceMethod("now", &Unicorn::Now),
            InstanceMethod("set_max_cycles", &Unicorn::SetMaxCycles),
            InstanceMethod("profile_take_back", &Unicorn::ProfileTakeBack),
            InstanceMethod("calls_exception", &Unicorn::CallsException),
            InstanceMethod("block_clock", &Unicorn::BlockClock),
            InstanceMethod("debug_break", &Unicorn::DebugBreak),
            InstanceMethod("debug_watch", &Unicorn::DebugWatch),
            InstanceMethod("debug_step", &Unicorn::DebugStep),
            InstanceMethod("debug_slice", &Unicorn::DebugSlice),
            InstanceMethod("debug_resume", &Unicorn::DebugResume),
            InstanceMethod("debug_forget", &Unicorn::DebugForget),
            InstanceMethod("debug_state", &Unicorn::DebugState),
        });
  }

  explicit Unicorn(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Unicorn>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
      Napi::TypeError::New(env, "Unicorn(arch, mode) needs two numbers").ThrowAsJavaScriptException();
      return;
    }
    uc_err err = uc_open(static_cast<uc_arch>(info[0].As<Napi::Number>().Int32Value()),
                         static_cast<uc_mode>(info[1].As<Napi::Number>().Int32Value()), &uc_);
    if (err != UC_ERR_OK) {
      uc_ = nullptr;
      ThrowUc(env, err, "uc_open");
    }
  }

  ~Unicorn() override { Release(); }

  // --- called from C hooks -------------------------------------------------------------------

  // JavaScript may have set SP (see SpAtEntry).
  void ForgetSp() { spValid_ = false; }

  // A JavaScript callback threw: keep the exception, stop emulation, rethrow after emu_start.
  bool CheckJsException(Napi::Env env) {
    if (!env.IsExceptionPending()) return false;
    if (!hasPendingError_) {
      pendingError_ = Napi::Persistent(env.GetAndClearPendingException().Value());
      hasPendingError_ = true;
      entryCheck_ = true;
    } else {
      env.GetAndClearPendingException();
    }
    uc_emu_stop(uc_);
    return true;
  }

  void OnBlock(uint64_t address64, uint32_t size) {
    const uint32_t address = static_cast<uint32_t>(address64);
    // One flag for the rare entries: a JavaScript error is pending, or the debugger resumes inside
    // the block it stopped in (Entry).
    if (entryCheck_ && Entry(address, size)) return;
    int32_t index;
    if (prev_ >= 0) {
      // Successor cache: most blocks are entered from the same predecessor edge as last time, so
      // the hash table is only consulted when an edge is new.
      BlockInfo* p = &blocks_[prev_];
      const int32_t from = prev_;
      // SP at this block's entry, from the previous block's (see SpAtEntry).
      if (p->flags & BLOCK_SP_REREAD)
        spValid_ = false;
      else
        spEntry_ += static_cast<uint32_t>(p->spNet);
      if (address == p->fallthrough) {
        index = p->nextFall;
        if (index < 0 || blocks_[index].size != size) {
          index = Find(address, size);
          if (index < 0) return;
          blocks_[from].nextFall = index;
        }
        p = &blocks_[from];
        // An unconditional branch, call or return whose target is the next instruction.
        if ((p->flags & (BLOCK_CALL | BLOCK_INDIRECT | BLOCK_TAILCALL)) && !(p->flags & BLOCK_COND_BRANCH))
          BranchToNext(from, address);
        p = &blocks_[from];
      } else {
        index = p->nextJump;
        if (index < 0 || blocks_[index].address != address || blocks_[index].size != size) {
          index = Find(address, size);
          if (index < 0) return;
          blocks_[from].nextJump = index;
        }
        p = &blocks_[from];
        if (p->flags & BLOCK_COND_BRANCH) {
          p->taken += 1;
          cyclesNow_ += p->takenCycles;
        }
        if (p->flags & BLOCK_CALL) {
          Push(address, p->fallthrough, EnterCall(from, address));
        } else if (p->flags & (BLOCK_INDIRECT | BLOCK_TAILCALL)) {
          LeftByBranch(*p, address);
        }
      }
      if (p->flags & (BLOCK_SP_DYNAMIC | BLOCK_MASK_WRITE)) AfterRareBlock(*p, address);
    } else {
      spValid_ = false;
      index = Find(address, size);
      if (index < 0) return;
    }
    // An asynchronous exception is due (SysTick expiry, or 0: software pended one or unmasked), the
    // cycle limit or the debugger's time slice is reached: stop before this block executes. stopAt_
    // is the smallest of the three thresholds, so the others cost nothing here until reached.
    if (cyclesNow_ >= stopAt_) {
      StopAtBoundary(address);
      return;
    }

    BlockInfo& b = blocks_[index];
    b.execs += 1;
    cyclesNow_ += b.cycles;
    instructions_ += b.instructions;
    if (b.flags & (BLOCK_SP_LOWERS | BLOCK_HANG | BLOCK_TRAP_ARMED | BLOCK_INVSTATE)) {
      if ((b.flags & BLOCK_INVSTATE) && !limitHit_) {
        b.execs -= 1;
        cyclesNow_ -= b.cycles;
        instructions_ -= b.instructions;
        limitHit_ = 5;
        trapKind_ = TRAP_INVSTATE;
        trapPc_ = address;
        trapValue_ = address;
        trapAlign_ = 0;
        prev_ = index;
        uc_emu_stop(uc_);
        return;
      }
      if ((b.flags & BLOCK_TRAP_ARMED) && !limitHit_ && Trapped(index)) {
        prev_ = index;
        return;
      }
      if (b.flags & BLOCK_SP_LOWERS) NoteSp(SpAtEntry() + static_cast<uint32_t>(b.spPreMin));
      if ((b.flags & BLOCK_HANG) && !limitHit_) {
        limitHit_ = 4;
        uc_emu_stop(uc_);
      }
    }
    if ((b.flags & BLOCK_BREAK_ENTRY) || breakPending_) FollowBreak(address, b.flags);
    prev_ = index;
    if (checkLimits_) CheckLimits();
  }

  // After a block that wrote SP dynamically or wrote an exception mask (PRIMASK, BASEPRI, FAULTMASK, CONTROL).
  void AfterRareBlock(const BlockInfo& p, uint32_t address) {
    if (p.flags & BLOCK_MASK_WRITE) {
      if (maskWatch_) excStopAt_ = stopAt_ = 0;
      // MSR CONTROL in Thread mode may have switched to the process stack (ARMv7-M ARM B1.4.4).
      onPsp_ = (ReadReg(UC_ARM_REG_CONTROL) & 2) != 0 && (ReadReg(UC_ARM_REG_IPSR) & 0x1ff) == 0;
    }
    if (p.flags & BLOCK_SP_DYNAMIC) {
      // The block moved SP by a run-time amount, then by spPostNet; undo the latter to find
      // the SP its post-dynamic part started from.
      uint32_t sp = SpAtEntry();
      NoteSp(sp - static_cast<uint32_t>(p.spPostNet) + static_cast<uint32_t>(p.spPostMin));
    }
  }

  // --- shadow call stack ---------------------------------------------------------------------
  //
  // A call is a BL/BLX taken to somewhere other than its fall-through. Every other way of leaving
  // an activation is recognised by where the branch lands and by SP, not by the instruction's form,
  // because GCC, Clang and armcc return through bx lr, bx rN, pop {…, pc}, ldm …, ldr pc, [sp], #4
  // and mov pc, rN alike:
  //  - a return lands on the return address of a frame with SP back at (or above) the SP of its call
  //    (AAPCS: a callee restores SP), which also unwinds frames a longjmp or a lost return skipped;
  //  - a tail call lands on another function's entry: the callee replaces the caller's frame (its
  //    return address and call SP stay), as in gprof and perf, where the tail-called function
  //    appears called by the tail-caller's caller;
  //  - a longjmp (or any non-local exit) lands inside a function further down the stack: frames
  //    above that function's most recent activation whose call SP is above SP are unwound.
  // Exception entry, tail-chaining and return come from the exception model (calls_exception).

  void Push(uint32_t function, uint32_t ret, int32_t node) {
    if (depth_ < kMaxDepth) stack_[depth_] = Frame{function, ret, SpAtEntry(), node};
    depth_++;
    if (depth_ > maxDepth_) maxDepth_ = depth_;
  }

  // The block `from` ended in an unconditional call, tail call or indirect branch to the address
  // right after it: a call when that address is another function's entry (`bl abort` as the last
  // instruction of a function, with abort linked next; not `bl 1f; 1:`, which reads the PC).
  __attribute__((noinline)) void BranchToNext(int32_t from, uint32_t address) {
    const BlockInfo& p = blocks_[from];
    if (!(p.flags & BLOCK_CALL)) {
      LeftByBranch(p, address);
      return;
    }
    if (functions_.empty()) return;
    const uint32_t f = FunctionAt(address);
    if (f == address && f != FunctionAt(p.address)) Push(address, p.fallthrough, EnterCall(from, address));
  }

  // The block `p` ended in an indirect branch or a direct branch to a function entry, taken to
  // `address` (not a call).
  void LeftByBranch(const BlockInfo& p, uint32_t address) {
    if (depth_ > kMaxDepth) {
      // Untracked frames above the cap: only a return to the deepest tracked frame is followed.
      if (address == stack_[kMaxDepth - 1].ret && SpAtEntry() >= stack_[kMaxDepth - 1].callSp) {
        Charge();
        depth_ = kMaxDepth - 1;
      }
      return;
    }
    if (p.flags & BLOCK_TAILCALL) {
      TailCall(address);
      return;
    }
    const uint32_t sp = SpAtEntry();
    // Returns: the frame on top, or one a few frames down (frames skipped by a lost return).
    for (int32_t i = depth_ - 1; i >= 0 && i >= depth_ - 8; --i) {
      if (stack_[i].ret == address && sp >= stack_[i].callSp) {
        Charge();
        depth_ = i;
        return;
      }
    }
    if (functions_.empty()) return;
    const uint32_t f = FunctionAt(address);
    if (f == kNoFunction) return;
    const uint32_t top = depth_ > 0 ? stack_[depth_ - 1].function : rootFunction_;
    if (f == top) return;  // a jump table, computed goto or loop inside the function on top
    if (address == f) {
      TailCall(address);  // an indirect tail call (bx r3 to a function pointer)
      return;
    }
    // Non-local exit into a function further down (longjmp): its newest activation whose frame
    // lies above SP.
    for (int32_t i = depth_ - 2; i >= 0; --i) {
      if (stack_[i].function == f && stack_[i].callSp > sp) {
        Charge();
        depth_ = i + 1;
        return;
      }
    }
    if (f == rootFunction_) {
      Charge();
      depth_ = 0;
    }
  }

  // The activation on top is replaced by `callee` (the reset handler's, with no frame, gets one).
  void TailCall(uint32_t callee) {
    if (depth_ == 0) {
      Push(callee, kNoReturn, EnterNode(0, callee, nullptr));
      return;
    }
    if (depth_ > kMaxDepth) return;
    Frame& top = stack_[depth_ - 1];
    if (top.function == callee) return;
    top.node = EnterNode(nodes_[top.node].parent, callee, nullptr);
    top.function = callee;
  }

  static constexpr uint32_t kNoFunction = 0xffffffffu;

  // Entry of the function whose range holds `address`, or kNoFunction.
  uint32_t FunctionAt(uint32_t address) const {
    auto it = std::upper_bound(functions_.begin(), functions_.end(), address,
                               [](uint32_t a, const FunctionRange& r) { return a < r.start; });
    if (it == functions_.begin()) return kNoFunction;
    --it;
    return address < it->end ? it->entry : kNoFunction;
  }

  // Exception entry (kind 1: handler at `a`, frame stacked at `b`), tail-chaining (2: the handler
  // at `a` replaces the one running, on the same frame) and exception return (3: unstacking from
  // the frame at `a`, resuming at `b`). A handler's activation is a child of the root (it is called
  // by no function, like gprof's <spontaneous>), on top of the interrupted frames (its stack use
  // adds to theirs). A return that unstacks another frame than the handler's own was a context
  // switch (an RTOS's PendSV): the thread's frames are kept by the address its exception frame was
  // stacked at, and restored when a later exception return unstacks that frame; a thread seen for
  // the first time starts with its entry function as a child of the root.
  void ExceptionEvent(uint32_t kind, uint32_t a, uint32_t b) {
    Charge();
    int32_t n = depth_ < kMaxDepth ? depth_ : kMaxDepth;
    int32_t handler = -1;
    for (int32_t i = n - 1; i >= 0; --i)
      if (stack_[i].ret == kExceptionFrame) {
        handler = i;
        break;
      }
    if (kind == 1) {
      // Stacking the frame overflowed (limitHit 3): the run ends in the interrupted code.
      if (limitHit_ == 3) return;
      depth_ = n;
      if (depth_ < kMaxDepth) stack_[depth_] = Frame{a, kExceptionFrame, b, EnterNode(0, a, nullptr)};
      depth_++;
      if (depth_ > maxDepth_) maxDepth_ = depth_;
      return;
    }
    if (handler < 0) return;
    if (kind == 2) {
      depth_ = handler + 1;
      stack_[handler].function = a;
      stack_[handler].node = EnterNode(0, a, nullptr);
      return;
    }
    const uint32_t own = stack_[handler].callSp;
    depth_ = handler;
    if (own == a) return;
    bool threadBelow = true;
    for (int32_t i = 0; i < handler; ++i)
      if (stack_[i].ret == kExceptionFrame) threadBelow = false;
    if (!threadBelow) return;
    // Context switch from Thread mode to Thread mode: park the interrupted thread's frames.
    if (savedThreads_.size() < kMaxSavedThreads || savedThreads_.count(own))
      savedThreads_[own].assign(stack_, stack_ + handler);
    auto it = savedThreads_.find(a);
    if (it != savedThreads_.end()) {
      depth_ = static_cast<int32_t>(it->second.size());
      std::copy(it->second.begin(), it->second.end(), stack_);
      savedThreads_.erase(it);
      return;
    }
    depth_ = 0;
    const uint32_t f = functions_.empty() ? kNoFunction : FunctionAt(b);
    const uint32_t entry = f == kNoFunction ? b : f;
    if (entry != rootFunction_) {
      stack_[0] = Frame{entry, kNoReturn, a, EnterNode(0, entry, nullptr)};
      depth_ = 1;
    }
  }

  // The heap break (src/emulator/sram-report.ts): at a break function's entry its increment and
  // return address are pushed; at the return address its result (the previous break, or (void *)-1)
  // is read from R0. Calls nest (newlib: sbrk -> _sbrk_r -> _sbrk), so the pending calls are a small
  // stack; calls deeper than kBreakDepth are not followed (their callers still are). Out of line: the
  // hot path only tests a flag and a bool.
  __attribute__((noinline)) void FollowBreak(uint32_t address, uint32_t flags) {
    if (breakDepth_ > 0) {
      int32_t i = breakDepth_;
      while (i > 0 && pendingBreaks_[i - 1].ret != address) --i;
      if (i > 0) {
        const uint32_t previous = ReadReg(UC_ARM_REG_R0);
        // Calls above the match never returned (a longjmp out of them): dropped uncounted. The
        // match and the calls below it with the same return address (a tail call) all end here.
        breakDepth_ = i;
        while (breakDepth_ > 0 && pendingBreaks_[breakDepth_ - 1].ret == address) {
          --breakDepth_;
          NoteBreak(previous, pendingBreaks_[breakDepth_].increment, breakDepth_ == 0);
        }
      }
    }
    if (flags & BLOCK_BREAK_ENTRY) {
      int reg = -1;
      for (int32_t k = 0; k < breakFunctionCount_ && reg < 0; ++k)
        if (breakFunctions_[k].address == address) reg = breakFunctions_[k].reg;
      if (reg >= 0 && breakDepth_ < kBreakDepth)
        pendingBreaks_[breakDepth_++] = PendingBreak{ReadReg(UC_ARM_REG_LR) & ~1u, ReadReg(reg)};
    }
    breakPending_ = breakDepth_ > 0;
  }

  // One break call returned `previous` after asking for `increment` bytes. Nested calls of one
  // request return the same previous break and move it by the same increment, so taking the first
  // previous break as the heap start and the highest break as the high-water counts them once.
  void NoteBreak(uint32_t previous, uint32_t increment, bool outermost) {
    if (previous == 0xffffffffu) return;  // (void *)-1: refused, the break did not move
    if (!heapSeen_) {
      heapSeen_ = true;
      heapStart_ = previous;
      heapHigh_ = previous;
    }
    if (static_cast<int32_t>(increment) > 0) {
      // A break past 4 GiB is no break the firmware can use: ignored rather than wrapped.
      const uint64_t brk = static_cast<uint64_t>(previous) + increment;
      if (brk <= 0xffffffffu && brk > heapHigh_) heapHigh_ = static_cast<uint32_t>(brk);
    }
    if (outermost) breakCalls_++;
  }

  // The block about to run starts at or after stopAt_: the cycle limit (limitHit 6, the run ends
  // with this block not run and not counted), an exception stop (the run loop takes it here), or
  // the end of the debugger's time slice (debug_slice; nothing is due: the run loop resumes here).
  __attribute__((noinline)) void StopAtBoundary(uint32_t address) {
    boundaryPc_ = address;
    boundaryStop_ = true;
    if (cyclesNow_ >= maxCycles_) {
      if (!limitHit_) limitHit_ = 6;
      uc_emu_stop(uc_);
      return;
    }
    if (cyclesNow_ >= excStopAt_) {
      ExceptionStop();
      return;
    }
    sliceAt_ = UINT64_MAX;
    stopAt_ = std::min(excStopAt_, maxCycles_);
    debugKind_ = kDebugSlice;
    uc_emu_stop(uc_);
  }

  __attribute__((noinline)) void ExceptionStop() {
    excStop_ = true;
    excStopAt_ = UINT64_MAX;
    stopAt_ = std::min(maxCycles_, sliceAt_);
    uc_emu_stop(uc_);
  }

  // --- debugger ------------------------------------------------------------------------------
  //
  // Breakpoints, single steps and watchpoints for src/emulator/machine.ts (the GDB server in
  // src/gdb/ drives them). A run without any pays nothing: their Unicorn hooks exist only while they
  // do. They are added and removed between emu_start calls, each followed by dropping the
  // translated code it concerns (uc_ctl_remove_cache): Unicorn instruments code with code and
  // memory hooks when it translates it, so a hook added after the code was translated would not
  // fire for it (Unicorn issue #2200; its fix, PR #2279, flushes the same way). The profiler's own
  // rule, every JavaScript hook before the first emu_start (HookAdd), still holds.
  //  - A breakpoint is a code hook on its one address (only that instruction is instrumented); a
  //    stop in a code hook is before the instruction runs, with the PC exact.
  //  - Single-stepping and watchpoints need the "fine" hook, a code hook on every instruction: a
  //    step stops before the second instruction that starts; a watched access is only recorded by
  //    its memory hook and the stop is before the next instruction. (uc_emu_stop inside a memory
  //    hook would stop at the accessing instruction with its access done, and Unicorn resets the PC
  //    to the block's start when no code hook exists: resuming would run the instructions again.)
  //  - A debug stop leaves the block the profiler entered charged whole, as a free run charges it
  //    at entry. Resuming inside it, Unicorn translates a block from the resume address to the same
  //    end; Entry takes that block as the rest of the charged one (no counts, no new profile entry,
  //    no exception boundary), so a stepped run counts exactly what a free run counts. Only when
  //    that block ends elsewhere (a translation cut by the 512-instruction or 64 KiB host-code limit
  //    differently from the original) is it counted as a block of its own.
  //  - A time slice (debug_slice) stops at a block boundary before the block is entered, through
  //    the same threshold as the exception model's stops, so the event loop can read the socket.

  static constexpr uint32_t kDebugBreak = 1;
  static constexpr uint32_t kDebugStep = 2;
  static constexpr uint32_t kDebugWatch = 3;
  static constexpr uint32_t kDebugSlice = 4;
  static constexpr uint32_t kWatchWrite = 1;
  static constexpr uint32_t kWatchRead = 2;
  static constexpr uint32_t kWatchAccess = 3;

  // The first block entered after a debug stop: the rest of the block stopped in (return true), or
  // a block entered from it. Also drops all entries while a JavaScript error is pending.
  __attribute__((noinline)) bool Entry(uint32_t address, uint32_t size) {
    if (hasPendingError_) return true;
    entryCheck_ = false;
    const int32_t c = continueBlock_;
    continueBlock_ = -1;
    if (c < 0) return false;
    const BlockInfo& b = blocks_[c];
    if (address >= b.address && address < b.fallthrough && address + size == b.fallthrough) {
      prev_ = c;
      return true;
    }
    // Not its rest: entered from it (a stop requested inside an IT block takes effect after the IT
    // block, which may have ended the block), or a translation that ends elsewhere (counted afresh).
    if (address >= b.address && address < b.fallthrough) prev_ = -1;
    return false;
  }

  void DebugStop(uint32_t kind, uint32_t address) {
    if (debugKind_ == 0) {
      debugKind_ = kind;
      debugPc_ = address;
    }
    breakSkipArmed_ = false;
    continueBlock_ = prev_;
    entryCheck_ = entryCheck_ || prev_ >= 0;
    uc_emu_stop(uc_);
  }

  void OnBreak(uint32_t address) {
    if (breakSkipArmed_ && address == breakSkip_) {
      breakSkipArmed_ = false;
      return;
    }
    DebugStop(kDebugBreak, address);
  }

  void OnFine(uint32_t address) {
    if (breakSkipArmed_ && address != breakSkip_) breakSkipArmed_ = false;
    if (watchHit_) {
      DebugStop(kDebugWatch, address);
      return;
    }
    if (stepping_ && ++stepSeen_ >= 2) DebugStop(kDebugStep, address);
  }

  struct WatchHook {
    Unicorn* self;
    uc_hook handle;
    uint64_t begin;  // watched bytes [begin, end)
    uint64_t end;
    uint32_t kind;   // kWatch*
  };

  void OnWatch(const WatchHook& w, bool write, uint64_t address, int size) {
    const uint64_t end = address + static_cast<uint64_t>(size > 0 ? size : 1);
    if (end <= w.begin || address >= w.end) return;  // the hook's range starts early: an overlap check
    if (w.kind == kWatchWrite && !write) return;
    if (w.kind == kWatchRead && write) return;
    if (watchHit_) return;
    watchHit_ = true;
    watchKind_ = w.kind;
    watchAddress_ = static_cast<uint32_t>(std::max(address, w.begin));
  }

  // The fine hook exists while stepping or while a watchpoint does.
  void UpdateFine(Napi::Env env) {
    const bool want = stepping_ || !watchHooks_.empty();
    if (want == fineInstalled_) return;
    uc_err err = want ? uc_hook_add(uc_, &fineHook_, UC_HOOK_CODE, reinterpret_cast<void*>(FineCb), this, 1, 0)
                      : uc_hook_del(uc_, fineHook_);
    if (err != UC_ERR_OK) {
      ThrowUc(env, err, want ? "uc_hook_add" : "uc_hook_del");
      return;
    }
    fineInstalled_ = want;
    DropTranslations();
  }

  // Drops every translated block, region by mapped region. (uc_ctl_flush_tlb, Unicorn's tb_flush,
  // would do the same but costs 0.3-2 s in Unicorn 2.0.1; invalidating the pages that hold code
  // costs what there is to drop.) A region that is not RAM (MMIO) holds no translated code.
  void DropTranslations() {
    uc_mem_region* regions = nullptr;
    uint32_t count = 0;
    if (uc_mem_regions(uc_, &regions, &count) != UC_ERR_OK) {
      uc_ctl_flush_tlb(uc_);
      return;
    }
    for (uint32_t i = 0; i < count; ++i)
      if (regions[i].end >= regions[i].begin)
        uc_ctl_remove_cache(uc_, regions[i].begin, regions[i].end + 1);
    uc_free(regions);
  }

  static void FineCb(uc_engine*, uint64_t address, uint32_t, void* user) {
    static_cast<Unicorn*>(user)->OnFine(static_cast<uint32_t>(address));
  }
  static void BreakCb(uc_engine*, uint64_t address, uint32_t, void* user) {
    static_cast<Unicorn*>(user)->OnBreak(static_cast<uint32_t>(address));
  }
  static void WatchCb(uc_engine*, uc_mem_type type, uint64_t address, int size, int64_t, void* user) {
    WatchHook* w = static_cast<WatchHook*>(user);
    w->self->OnWatch(*w, type == UC_MEM_WRITE, address, size);
  }

  // Totals are sums over blocks (execs × static cost + taken × refill), computed when asked for:
  // keeping running totals would cost two more read-modify-writes on every block.
  uint64_t Instructions() const {
    uint64_t n = 0;
    for (const BlockInfo& b : blocks_) n += b.execs * b.instructions;
    return n - takenBackInstructions_;
  }
  uint64_t TotalCycles() const {
    uint64_t n = 0;
    for (const BlockInfo& b : blocks_) n += b.execs * b.cycles + b.taken * b.takenCycles;
    return n + extraCycles_ - takenBackCycles_;
  }

  // The wall-clock limit is not checked here: the watchdog thread of EmuStart stops the run.
  void CheckLimits() {
    if (maxInstructions_ > 0 && instructions_ >= maxInstructions_ && !limitHit_) {
      limitHit_ = 1;
      uc_emu_stop(uc_);
    }
  }

  // Evaluates the armed checks of a block about to execute, in program order. The first that fires
  // stops the run before the block executes (uc_emu_stop inside a block hook: Unicorn's block hook
  // runs before the TB's exit-request check, so none of the block's instructions run) and the
  // block's counts are taken back. Returns true when a trap fired. Kept out of line: OnBlock is the
  // hot path and this is its rare branch.
  __attribute__((noinline)) bool Trapped(int32_t index) {
    const std::pair<uint32_t, uint32_t> range = blockChecks_[index];
    for (uint32_t i = range.first; i < range.first + range.second; ++i) {
      const TrapCheck& c = checks_[i];
      if (!(KindFlag(c.kind) & armedChecks_)) continue;
      if (c.cond != 0 && c.cond != 15 && !ConditionPasses(c.cond, ReadReg(UC_ARM_REG_XPSR))) continue;
      uint32_t value = c.offset;
      if (c.base >= 0) value += ReadReg(c.base);
      if (c.index >= 0) {
        const uint32_t v = ReadReg(c.index) << c.shift;
        value = c.subtract ? value - v : value + v;
      }
      const bool fires = c.kind == TRAP_FP || c.kind == TRAP_LAZYFP ? true : c.kind == TRAP_DIV0 ? value == 0 : (value & c.alignMask) != 0;
      if (!fires) continue;
      BlockInfo& b = blocks_[index];
      b.execs -= 1;
      cyclesNow_ -= b.cycles;
      instructions_ -= b.instructions;
      limitHit_ = 5;
      trapKind_ = c.kind;
      trapPc_ = c.pc;
      trapValue_ = value;
      trapAlign_ = c.alignMask + 1;
      uc_emu_stop(uc_);
      return true;
    }
    return false;
  }

  static uint32_t KindFlag(uint32_t kind) {
    switch (kind) {
      case TRAP_ALIGN: return BLOCK_CHECK_ALIGN;
      case TRAP_UNALIGN: return BLOCK_CHECK_UNALIGN;
      case TRAP_DIV0: return BLOCK_CHECK_DIV0;
      case TRAP_FP: return BLOCK_CHECK_FP;
      case TRAP_LAZYFP: return BLOCK_CHECK_LAZYFP;
      default: return 0;
    }
  }

  // ARMv7-M ARM A7.3.1 Table A7-1: condition codes on APSR.N/Z/C/V (xPSR bits 31..28).
  // Capstone numbers them arm_cc = ARM condition + 1 (1 EQ … 14 LE).
  static bool ConditionPasses(uint32_t cc, uint32_t xpsr) {
    const bool n = (xpsr >> 31) & 1, z = (xpsr >> 30) & 1, c = (xpsr >> 29) & 1, v = (xpsr >> 28) & 1;
    switch (cc) {
      case 1: return z;
      case 2: return !z;
      case 3: return c;
      case 4: return !c;
      case 5: return n;
      case 6: return !n;
      case 7: return v;
      case 8: return !v;
      case 9: return c && !z;
      case 10: return !c || z;
      case 11: return n == v;
      case 12: return n != v;
      case 13: return !z && n == v;
      case 14: return z || n != v;
      default: return true;
    }
  }

  // CCR (ARMv7-M ARM B3.2.8) and CPACR (B3.2.20) as the firmware last wrote them: which traps are armed.
  // lazyFp: a lazy FP state preservation is pending (FPCCR.LSPACT): arm the first-FPU-instruction checks.
  void SetTrapConfig(uint32_t ccr, uint32_t cpacr, bool lazyFp = false) {
    uint32_t mask = BLOCK_CHECK_ALIGN;
    if (ccr & (1u << 3)) mask |= BLOCK_CHECK_UNALIGN;  // UNALIGN_TRP
    if (ccr & (1u << 4)) mask |= BLOCK_CHECK_DIV0;     // DIV_0_TRP
    // CP10 (bits 21:20) and CP11 (23:22): 0b00 access denied, 0b01 privileged (m4sim runs privileged),
    // 0b10 reserved (treated as denied), 0b11 full access.
    const uint32_t cp10 = (cpacr >> 20) & 3, cp11 = (cpacr >> 22) & 3;
    const auto allowed = [](uint32_t f) { return f == 1 || f == 3; };
    if (!allowed(cp10) || !allowed(cp11)) mask |= BLOCK_CHECK_FP;
    if (lazyFp) mask |= BLOCK_CHECK_LAZYFP;
    if (mask == armedChecks_) return;
    armedChecks_ = mask;
    for (BlockInfo& b : blocks_) Arm(b);
  }

  void Arm(BlockInfo& b) const {
    b.flags = (b.flags & BLOCK_CHECKS & armedChecks_) ? (b.flags | BLOCK_TRAP_ARMED) : (b.flags & ~BLOCK_TRAP_ARMED);
  }

  int32_t Find(uint32_t address, uint32_t size) {
    int32_t index = Lookup(address, size);
    return index >= 0 ? index : Translate(address, size);
  }

  void OnCodeExact(uint64_t address, uint32_t size) {
    uint32_t sp = ReadSp();
    if (sp < exactMinSp_) exactMinSp_ = sp;
  }

  void OnWriteExact(uint64_t address, int size) {
    uint32_t a = static_cast<uint32_t>(address);
    if (a < exactMinWrite_) exactMinWrite_ = a;
  }

 private:
  static constexpr int32_t kMaxDepth = 4096;

  void ThrowUc(Napi::Env env, uc_err err, const char* what) {
    Napi::Error e = Napi::Error::New(env, std::string(uc_strerror(err)));
    e.Set("ucErrno", Napi::Number::New(env, err));
    e.Set("ucCall", Napi::String::New(env, what));
    e.ThrowAsJavaScriptException();
  }

  bool Ready(Napi::Env env) {
    if (uc_ == nullptr) {
      Napi::Error::New(env, "this Unicorn instance is closed").ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }

  uint32_t ReadReg(int reg) {
    uint32_t v = 0;
    uc_reg_read(uc_, reg, &v);
    return v;
  }
  uint32_t ReadSp() { return ReadReg(UC_ARM_REG_SP); }

  // SP at the entry of the block being entered, for the block hook. Reading it from the engine
  // (uc_reg_read) at every call, return and stack-lowering block was a large part of the
  // profiler's own cost on call-heavy code; instead it is read once and then moved by each block's
  // static spNet, and read again after a block that moves SP by an amount known only at run time
  // (BLOCK_SP_REREAD), after any register write, JavaScript callback or emu_start (where an
  // exception entry or return, a debugger or the firmware's loader may have set SP), and when the
  // previous block is not known. M4SIM_VERIFY_SP=1 compares each use with the engine's SP and counts
  // the differences (profile_counters().spChecks, spMismatches; test/sp-tracking.test.ts).
  uint32_t SpAtEntry() {
    if (!spValid_) {
      spEntry_ = ReadSp();
      spValid_ = true;
    } else if (kVerifySp) {
      spChecks_++;
      const uint32_t sp = ReadSp();
      if (sp != spEntry_ && spMismatches_++ == 0)
        std::fprintf(stderr, "m4sim: M4SIM_VERIFY_SP: tracked SP %08x, engine SP %08x\n", spEntry_, sp);
    }
    return spEntry_;
  }

  void NoteSp(uint32_t sp) {
    if (sp < windowMinSp_) windowMinSp_ = sp;
    if (onPsp_) {
      // Thread mode on the process stack (an RTOS task): its own low-water mark; task stacks live in
      // static data, so the MSP overflow limit does not apply.
      if (sp < minPsp_) minPsp_ = sp;
      if (sp < pspWindow_) pspWindow_ = sp;
      return;
    }
    if (sp < excMinSp_) excMinSp_ = sp;
    if ((sp < spLimit_ || (heapSeen_ && sp < heapHigh_ && sp >= heapStart_)) && !limitHit_) {
      // The stack is about to run into static data or the heap: stop before the block writes there.
      // (A heap in another RAM region, above the stack, is never in the way.)
      limitHit_ = 3;
      overflowSp_ = sp;
      uc_emu_stop(uc_);
    }
    if (sp >= minSp_) return;
    minSp_ = sp;
    int32_t n = depth_ < kMaxDepth ? depth_ : kMaxDepth;
    deepestPath_.assign(n, 0);
    for (int32_t i = 0; i < n; ++i) deepestPath_[i] = stack_[i].function;
    deepestDepth_ = depth_;
    deepestCycles_ = cyclesNow_;
  }

  // --- calling-context tree ------------------------------------------------------------------

  int32_t TopNode() const {
    int32_t n = depth_ < kMaxDepth ? depth_ : kMaxDepth;
    return n > 0 ? stack_[n - 1].node : 0;
  }

  // Charges what ran since the last call or return to the activation on top of the shadow stack.
  void Charge() {
    CallNode& n = nodes_[TopNode()];
    n.selfCycles += cyclesNow_ - chargedCycles_;
    n.selfInstructions += instructions_ - chargedInstructions_;
    chargedCycles_ = cyclesNow_;
    chargedInstructions_ = instructions_;
  }

  // A call from the block `site` to `callee`: charge the caller, find or add the callee's node.
  int32_t EnterCall(int32_t site, uint32_t callee) {
    return EnterNode(TopNode(), callee, &blocks_[site].callNode);
  }

  // One more call of `callee` from the node `parent` (what ran so far charged first); `cache`: the
  // node this call site entered last time, or null.
  int32_t EnterNode(int32_t parent, uint32_t callee, int32_t* cache) {
    Charge();
    int32_t node = cache ? *cache : -1;
    if (node < 0 || nodes_[node].parent != parent || nodes_[node].function != callee) {
      node = nodes_[parent].firstChild;
      while (node >= 0 && nodes_[node].function != callee) node = nodes_[node].nextSibling;
      if (node < 0) {
        if (nodes_.size() >= kMaxNodes) {
          // Memory stays bounded on firmware with ever new call paths: the callee runs charged to
          // its caller's node, and the call is counted in droppedPaths.
          droppedPaths_++;
          return parent;
        }
        node = static_cast<int32_t>(nodes_.size());
        nodes_.push_back(CallNode{callee, parent, -1, nodes_[parent].firstChild, 0, 0, 0});
        nodes_[parent].firstChild = node;
      }
      if (cache) *cache = node;
    }
    nodes_[node].calls += 1;
    return node;
  }

  // Open-addressing hash from (address, size) to an index into blocks_.
  static uint64_t Key(uint32_t address, uint32_t size) {
    return (static_cast<uint64_t>(size) << 32) | address;
  }
  size_t Slot(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 40) & (table_.size() - 1);
  }
  int32_t Lookup(uint32_t address, uint32_t size) const {
    const uint64_t key = Key(address, size);
    for (size_t s = Slot(key);; s = (s + 1) & (table_.size() - 1)) {
      int32_t i = table_[s];
      if (i < 0) return -1;
      if (blocks_[i].address == address && blocks_[i].size == size) return i;
    }
  }
  void Insert(int32_t index) {
    if ((blocks_.size() + 1) * 2 > table_.size()) {
      std::vector<int32_t> old;
      old.swap(table_);
      table_.assign(old.size() * 2, -1);
      for (int32_t i : old)
        if (i >= 0) Place(i);
    }
    Place(index);
  }
  void Place(int32_t index) {
    const uint64_t key = Key(blocks_[index].address, blocks_[index].size);
    size_t s = Slot(key);
    while (table_[s] >= 0) s = (s + 1) & (table_.size() - 1);
    table_[s] = index;
  }

  int32_t Translate(uint32_t address, uint32_t size) {
    Napi::Env env = onNewBlock_.Env();
    Napi::HandleScope scope(env);
    Napi::Value r = onNewBlock_.Call({Napi::Number::New(env, address), Napi::Number::New(env, size)});
    if (CheckJsException(env)) return -1;
    if (!r.IsObject()) {
      Napi::TypeError::New(env, "onNewBlock must return an object").ThrowAsJavaScriptException();
      CheckJsException(env);
      return -1;
    }
    Napi::Object o = r.As<Napi::Object>();
    auto num = [&](const char* k) -> double {
      Napi::Value v = o.Get(k);
      return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0.0;
    };
    BlockInfo b{};
    b.address = address;
    b.size = size;
    b.instructions = static_cast<uint32_t>(num("instructions"));
    b.cycles = static_cast<uint32_t>(num("cycles"));
    b.takenCycles = static_cast<uint32_t>(num("takenCycles"));
    b.flags = static_cast<uint32_t>(num("flags")) & ~(BLOCK_TRAP_ARMED | BLOCK_BREAK_ENTRY);
    for (int32_t k = 0; k < breakFunctionCount_; ++k)
      if (breakFunctions_[k].address == address) b.flags |= BLOCK_BREAK_ENTRY;
    Arm(b);
    b.fallthrough = address + size;
    b.spPreMin = static_cast<int32_t>(num("spPreMin"));
    b.spPostMin = static_cast<int32_t>(num("spPostMin"));
    b.spPostNet = static_cast<int32_t>(num("spPostNet"));
    b.spNet = static_cast<int32_t>(num("spNet"));
    b.nextFall = -1;
    b.nextJump = -1;
    b.callNode = -1;
    blocks_.push_back(b);
    blockChecks_.push_back(ReadChecks(o.Get("checks")));
    int32_t index = static_cast<int32_t>(blocks_.size() - 1);
    Insert(index);
    return index;
  }

  // `checks`: kTrapCheckFields numbers per check (TrapCheck's fields in order), or absent.
  std::pair<uint32_t, uint32_t> ReadChecks(Napi::Value v) {
    const uint32_t start = static_cast<uint32_t>(checks_.size());
    if (!v.IsArray()) return {start, 0};
    Napi::Array a = v.As<Napi::Array>();
    const uint32_t n = a.Length() / kTrapCheckFields;
    auto at = [&](uint32_t i) -> double {
      Napi::Value x = a.Get(i);
      return x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : 0.0;
    };
    for (uint32_t k = 0; k < n; ++k) {
      const uint32_t f = k * kTrapCheckFields;
      TrapCheck c{};
      c.pc = static_cast<uint32_t>(at(f));
      c.kind = static_cast<uint32_t>(at(f + 1));
      c.cond = static_cast<uint32_t>(at(f + 2));
      c.base = static_cast<int32_t>(at(f + 3));
      c.index = static_cast<int32_t>(at(f + 4));
      c.shift = static_cast<uint32_t>(at(f + 5)) & 31;
      c.subtract = static_cast<uint32_t>(at(f + 6));
      c.offset = static_cast<uint32_t>(static_cast<int64_t>(at(f + 7)));
      c.alignMask = static_cast<uint32_t>(at(f + 8));
      checks_.push_back(c);
    }
    return {start, n};
  }

  // --- JavaScript API ------------------------------------------------------------------------

  Napi::Value CtlSetCpuModel(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    uc_err err = uc_ctl_set_cpu_model(uc_, info[0].As<Napi::Number>().Int32Value());
    if (err != UC_ERR_OK) ThrowUc(env, err, "uc_ctl_set_cpu_model");
    return env.Undefined();
  }

  Napi::Value MemMap(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    uint64_t address = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
    size_t size = static_cast<size_t>(info[1].As<Napi::Number>().DoubleValue());
    uint32_t perms = info.Length() > 2 ? info[2].As<Napi::Number>().Uint32Value() : UC_PROT_ALL;
    uc_err err = uc_mem_map(uc_, address, size, perms);
    if (err != UC_ERR_OK) ThrowUc(env, err, "uc_mem_map");
    return env.Undefined();
  }

  Napi::Value MemRead(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    uint64_t address = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
    size_t size = static_cast<size_t>(info[1].As<Napi::Number>().DoubleValue());
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, size);
    uc_err err = uc_mem_read(uc_, address, out.Data(), size);
    if (err != UC_ERR_OK) {
      ThrowUc(env, err, "uc_mem_read");
      return env.Undefined();
    }
    return out;
  }

  Napi::Value MemWrite(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    uint64_t address = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
    if (!info[1].IsTypedArray()) {
      Napi::TypeError::New(env, "mem_write(address, bytes) needs a Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    uc_err err = uc_mem_write(uc_, address, bytes.Data(), bytes.ByteLength());
    if (err != UC_ERR_OK) ThrowUc(env, err, "uc_mem_write");
    return env.Undefined();
  }

  Napi::Value RegReadI32(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    uint32_t v = 0;
    uc_err err = uc_reg_read(uc_, info[0].As<Napi::Number>().Int32Value(), &v);
    if (err != UC_ERR_OK) ThrowUc(env, err, "uc_reg_read");
    return Napi::Number::New(env, v);
  }

  Napi::Value RegWriteI32(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    uint32_t v = static_cast<uint32_t>(info[1].As<Napi::Number>().Int64Value());
    ForgetSp();
    uc_err err = uc_reg_write(uc_, info[0].As<Napi::Number>().Int32Value(), &v);
    if (err != UC_ERR_OK) ThrowUc(env, err, "uc_reg_write");
    return env.Undefined();
  }

  Napi::Value EmuStart(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    uint64_t begin = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
    uint64_t until = static_cast<uint64_t>(info[1].As<Napi::Number>().DoubleValue());
    uint64_t timeout = info.Length() > 2 ? static_cast<uint64_t>(info[2].As<Napi::Number>().DoubleValue()) : 0;
    size_t count = info.Length() > 3 ? static_cast<size_t>(info[3].As<Napi::Number>().DoubleValue()) : 0;
    started_ = true;
    debugKind_ = 0;
    boundaryStop_ = false;
    ForgetSp();
    uc_err err = deadlineNs_ != 0 ? EmuStartWatched(begin, until, timeout, count)
                                  : uc_emu_start(uc_, begin, until, timeout, count);
    if (boundaryStop_) {
      // Stopped in the block hook before the block at boundaryPc_ ran: that is where to resume.
      // Unicorn sets the PC to a block it stopped before only when no code hook exists; with one
      // (--until, exact mode, a debugger's step or breakpoint) the PC is the last one a code hook
      // synced, e.g. the branch that jumped to the block.
      boundaryStop_ = false;
      if (ReadReg(UC_ARM_REG_PC) != boundaryPc_) {
        const uint32_t pc = boundaryPc_ | ((ReadReg(UC_ARM_REG_XPSR) >> 24) & 1);  // keep EPSR.T
        uc_reg_write(uc_, UC_ARM_REG_PC, &pc);
      }
    }
    if (hasPendingError_) {
      hasPendingError_ = false;
      entryCheck_ = continueBlock_ >= 0;
      Napi::Object e = pendingError_.Value();
      pendingError_.Reset();
      Napi::Error(env, e).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (err != UC_ERR_OK) ThrowUc(env, err, "uc_emu_start");
    return env.Undefined();
  }

  // uc_emu_start under a watchdog thread that enforces the wall-clock deadline whatever the firmware
  // or our hooks do (Unicorn's own emu_start timeout works the same way: a thread calling
  // uc_emu_stop, which sets stop_request and cpu_exit(), both meant to be set from another thread).
  // The stop takes effect at the next block boundary, so the latency is one block plus the hook
  // running when the deadline passes (a JavaScript callback cannot be interrupted). uc_emu_stop is
  // repeated every few milliseconds until uc_emu_start returns: a stop that lands before
  // uc_emu_start has reset its stop request would otherwise be lost.
  uc_err EmuStartWatched(uint64_t begin, uint64_t until, uint64_t timeout, size_t count) {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    const auto deadline = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadlineNs_));
    std::thread watchdog([&] {
      std::unique_lock<std::mutex> lock(m);
      if (cv.wait_until(lock, deadline, [&] { return done; })) return;
      timedOut_.store(true);
      do {
        uc_emu_stop(uc_);
      } while (!cv.wait_for(lock, std::chrono::milliseconds(5), [&] { return done; }));
    });
    uc_err err = uc_emu_start(uc_, begin, until, timeout, count);
    {
      std::lock_guard<std::mutex> lock(m);
      done = true;
    }
    cv.notify_all();
    watchdog.join();
    return err;
  }

  Napi::Value EmuStop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    uc_emu_stop(uc_);
    return env.Undefined();
  }

  Napi::Value HookAdd(const Napi::CallbackInfo& info);
  Napi::Value HookDel(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    uint32_t id = info[0].As<Napi::Number>().Uint32Value();
    if (id >= hooks_.size() || !hooks_[id]) {
      Napi::Error::New(env, "no such hook").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uc_err err = uc_hook_del(uc_, hooks_[id]->handle);
    if (err != UC_ERR_OK) ThrowUc(env, err, "uc_hook_del");
    hooks_[id].reset();
    return env.Undefined();
  }

  Napi::Value MmioMap(const Napi::CallbackInfo& info);

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  void Release() {
    if (uc_ != nullptr) {
      uc_close(uc_);
      uc_ = nullptr;
    }
    hooks_.clear();
  }

  Napi::Value ProfileEnable(const Napi::CallbackInfo& info);

  Napi::Value ProfileCounters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("instructions", Napi::Number::New(env, static_cast<double>(Instructions())));
    o.Set("cycles", Napi::Number::New(env, static_cast<double>(TotalCycles())));
    o.Set("minSp", Napi::Number::New(env, minSp_));
    o.Set("blocks", Napi::Number::New(env, static_cast<double>(blocks_.size())));
    // The watchdog's timeout counts when nothing else stopped the run first.
    o.Set("limitHit", Napi::Number::New(env, limitHit_ != 0 ? limitHit_ : timedOut_.load() ? 2 : 0));
    o.Set("trapKind", Napi::Number::New(env, trapKind_));
    o.Set("trapPc", Napi::Number::New(env, trapPc_));
    o.Set("trapValue", Napi::Number::New(env, trapValue_));
    o.Set("trapAlign", Napi::Number::New(env, trapAlign_));
    o.Set("heapSeen", Napi::Boolean::New(env, heapSeen_));
    o.Set("heapStart", Napi::Number::New(env, heapStart_));
    o.Set("heapHigh", Napi::Number::New(env, heapHigh_));
    o.Set("breakCalls", Napi::Number::New(env, breakCalls_));
    o.Set("exactMinSp", Napi::Number::New(env, exactMinSp_));
    o.Set("exactMinWrite", Napi::Number::New(env, exactMinWrite_));
    o.Set("deepestDepth", Napi::Number::New(env, deepestDepth_));
    o.Set("overflowSp", Napi::Number::New(env, overflowSp_));
    o.Set("lastBlock", Napi::Number::New(env, prev_ >= 0 ? blocks_[prev_].address : 0));
    o.Set("lastBlockSize", Napi::Number::New(env, prev_ >= 0 ? blocks_[prev_].size : 0));
    o.Set("depth", Napi::Number::New(env, depth_));
    o.Set("maxDepth", Napi::Number::New(env, maxDepth_));
    o.Set("droppedPaths", Napi::Number::New(env, static_cast<double>(droppedPaths_)));
    o.Set("depthLimit", Napi::Number::New(env, kMaxDepth));
    o.Set("deepestCycles", Napi::Number::New(env, static_cast<double>(deepestCycles_)));
    o.Set("spChecks", Napi::Number::New(env, static_cast<double>(spChecks_)));
    o.Set("spMismatches", Napi::Number::New(env, static_cast<double>(spMismatches_)));
    return o;
  }

  // The calling-context tree: node i is `function` called from node `parent` (-1 for the root),
  // with its call count and the cycles and instructions spent in it but not in its callees. What
  // ran since the last call or return is included (charged to the activation on top now).
  Napi::Value ProfileCalls(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t n = nodes_.size();
    Napi::Uint32Array function = Napi::Uint32Array::New(env, n);
    Napi::Int32Array parent = Napi::Int32Array::New(env, n);
    Napi::Float64Array calls = Napi::Float64Array::New(env, n);
    Napi::Float64Array selfCycles = Napi::Float64Array::New(env, n);
    Napi::Float64Array selfInstructions = Napi::Float64Array::New(env, n);
    for (size_t i = 0; i < n; ++i) {
      function[i] = nodes_[i].function;
      parent[i] = nodes_[i].parent;
      calls[i] = static_cast<double>(nodes_[i].calls);
      selfCycles[i] = static_cast<double>(nodes_[i].selfCycles);
      selfInstructions[i] = static_cast<double>(nodes_[i].selfInstructions);
    }
    if (n > 0) {
      int32_t top = TopNode();
      selfCycles[top] = selfCycles[top] + static_cast<double>(cyclesNow_ - chargedCycles_);
      selfInstructions[top] = selfInstructions[top] + static_cast<double>(instructions_ - chargedInstructions_);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("function", function);
    o.Set("parent", parent);
    o.Set("calls", calls);
    o.Set("selfCycles", selfCycles);
    o.Set("selfInstructions", selfInstructions);
    return o;
  }

  // The lowest SP the block profiler saw since the previous call (0xffffffff: none), then resets it.
  Napi::Value ProfileWindowMinSp(const Napi::CallbackInfo& info) {
    uint32_t v = windowMinSp_;
    windowMinSp_ = 0xffffffffu;
    return Napi::Number::New(info.Env(), v);
  }

  Napi::Value ProfileBlocks(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    size_t n = blocks_.size();
    Napi::Uint32Array address = Napi::Uint32Array::New(env, n);
    Napi::Uint32Array size = Napi::Uint32Array::New(env, n);
    Napi::Float64Array execs = Napi::Float64Array::New(env, n);
    Napi::Float64Array taken = Napi::Float64Array::New(env, n);
    for (size_t i = 0; i < n; ++i) {
      address[i] = blocks_[i].address;
      size[i] = blocks_[i].size;
      execs[i] = static_cast<double>(blocks_[i].execs);
      taken[i] = static_cast<double>(blocks_[i].taken);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("address", address);
    o.Set("size", size);
    o.Set("execs", execs);
    o.Set("taken", taken);
    return o;
  }

  Napi::Value ProfileCallStack(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int32_t n = depth_ < kMaxDepth ? depth_ : kMaxDepth;
    Napi::Uint32Array out = Napi::Uint32Array::New(env, n);
    for (int32_t i = 0; i < n; ++i) out[i] = stack_[i].function;
    return out;
  }

  Napi::Value ProfileDeepestPath(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint32Array out = Napi::Uint32Array::New(env, deepestPath_.size());
    for (size_t i = 0; i < deepestPath_.size(); ++i) out[i] = deepestPath_[i];
    return out;
  }

  // trap_config(ccr, cpacr, lazyFp): the PPB model calls this when the firmware writes CCR or CPACR,
  // the exception model when FPCCR.LSPACT changes.
  Napi::Value TrapConfig(const Napi::CallbackInfo& info) {
    SetTrapConfig(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Uint32Value(),
                  info.Length() > 2 && info[2].ToBoolean().Value());
    return info.Env().Undefined();
  }

  // exc_stop_at(cycle, maskWatch): stop at the first block boundary at or after `cycle` (0: the next
  // one; Infinity/-1: never); maskWatch: also stop after a block that wrote PRIMASK/BASEPRI/FAULTMASK.
  Napi::Value ExcStopAt(const Napi::CallbackInfo& info) {
    const double c = info[0].As<Napi::Number>().DoubleValue();
    excStopAt_ = (c < 0 || c >= 1.8e19) ? UINT64_MAX : static_cast<uint64_t>(c);
    stopAt_ = std::min({excStopAt_, maxCycles_, sliceAt_});
    maskWatch_ = info.Length() > 1 && info[1].ToBoolean().Value();
    return info.Env().Undefined();
  }

  // exc_boundary(extraCycles, resumeIdle): before emu_start resumes at a handler or a return
  // address: charge exception entry/return/sleep cycles, forget the predecessor edge (the next block
  // is not entered by a branch of the last one), and, when the run stopped at an idle block (limitHit
  // 4) that an interrupt now wakes, take that block's counts back and clear the stop.
  Napi::Value ExcBoundary(const Napi::CallbackInfo& info) {
    const uint64_t extra = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
    const bool resumeIdle = info.Length() > 1 && info[1].ToBoolean().Value();
    if (resumeIdle && limitHit_ == 4 && prev_ >= 0) {
      BlockInfo& b = blocks_[prev_];
      b.execs -= 1;
      cyclesNow_ -= b.cycles;
      instructions_ -= b.instructions;
      limitHit_ = 0;
    }
    if (resumeIdle && limitHit_ == 5) limitHit_ = 0;  // a trap the firmware's fault handler takes
    if (info.Length() > 2) onPsp_ = info[2].ToBoolean().Value();
    cyclesNow_ += extra;
    extraCycles_ += extra;
    // The stacking overflowed (limitHit 3): the run ends; keep the last block for the diagnosis.
    if (limitHit_ != 3) prev_ = -1;
    excStop_ = false;
    return info.Env().Undefined();
  }

  // { stopped: the last emu_start ended at an exception stop }.
  Napi::Value ExcState(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("stopped", Napi::Boolean::New(info.Env(), excStop_));
    o.Set("limitHit", Napi::Number::New(info.Env(), limitHit_ != 0 ? limitHit_ : timedOut_.load() ? 2 : 0));
    o.Set("minPsp", Napi::Number::New(info.Env(), minPsp_));
    return o;
  }

  // exc_psp_window(): the lowest process-stack SP since the previous call (0xffffffff: none); resets it.
  Napi::Value ExcPspWindow(const Napi::CallbackInfo& info) {
    const uint32_t v = pspWindow_;
    pspWindow_ = 0xffffffffu;
    return Napi::Number::New(info.Env(), v);
  }

  // exc_regs(): R0-R3, R12, LR, xPSR, SP, CONTROL, PRIMASK, FAULTMASK, BASEPRI in one call (the
  // exception entry reads them all; one N-API crossing instead of twelve).
  Napi::Value ExcRegs(const Napi::CallbackInfo& info) {
    static const int ids[12] = {UC_ARM_REG_R0,   UC_ARM_REG_R1,      UC_ARM_REG_R2,        UC_ARM_REG_R3,
                                UC_ARM_REG_R12,  UC_ARM_REG_LR,      UC_ARM_REG_XPSR,      UC_ARM_REG_SP,
                                UC_ARM_REG_CONTROL, UC_ARM_REG_PRIMASK, UC_ARM_REG_FAULTMASK, UC_ARM_REG_BASEPRI};
    Napi::Uint32Array out = Napi::Uint32Array::New(info.Env(), 12);
    for (int i = 0; i < 12; ++i) out[i] = ReadReg(ids[i]);
    return out;
  }

  // exc_min_sp(): the lowest main-stack SP seen since the previous call (0xffffffff: none); resets it.
  Napi::Value ExcMinSp(const Napi::CallbackInfo& info) {
    const uint32_t v = excMinSp_;
    excMinSp_ = 0xffffffffu;
    return Napi::Number::New(info.Env(), v);
  }

  // exc_note_sp(sp, psp): the SP an exception frame was stacked down to, on the process stack or not.
  Napi::Value ExcNoteSp(const Napi::CallbackInfo& info) {
    const bool saved = onPsp_;
    onPsp_ = info[1].ToBoolean().Value();
    NoteSp(info[0].As<Napi::Number>().Uint32Value());
    onPsp_ = saved;
    return info.Env().Undefined();
  }

  // calls_exception(kind, a, b): exception entry, tail-chain or return for the shadow call stack
  // (see ExceptionEvent).
  Napi::Value CallsException(const Napi::CallbackInfo& info) {
    if (profiling_)
      ExceptionEvent(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Uint32Value(),
                     info[2].As<Napi::Number>().Uint32Value());
    return info.Env().Undefined();
  }

  // Modeled cycles now: the running total (cycles() sums the blocks instead), which already holds the
  // whole cost of the block executing, charged at its entry.
  Napi::Value Now(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(cyclesNow_));
  }

  // block_clock(out): writes [address, size, cycles at its start, instructions] of the block
  // executing now into the Float64Array `out` (no allocation: called at PPB accesses), for the
  // clock of an instruction inside it (src/emulator/instruction-clock.ts); [0, 0, now, instructions]
  // when none is (prev_ is -1 after exc_boundary). Only meaningful inside a memory callback: then
  // prev_ is the current block and its whole cost is already in cyclesNow_ (OnBlock adds it at
  // entry), so its start is cyclesNow_ - b.cycles. `instructions` grows by at least one per block
  // execution: it tells two executions of the same block apart.
  Napi::Value BlockClock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[0].As<Napi::TypedArray>().ElementLength() < 4) {
      Napi::TypeError::New(env, "block_clock(out) needs a Float64Array of 4").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Float64Array out = info[0].As<Napi::Float64Array>();
    const BlockInfo* b = prev_ >= 0 ? &blocks_[prev_] : nullptr;
    out[0] = b ? b->address : 0;
    out[1] = b ? b->size : 0;
    out[2] = static_cast<double>(b ? cyclesNow_ - b->cycles : cyclesNow_);
    out[3] = static_cast<double>(instructions_);
    return env.Undefined();
  }

  // set_max_cycles(cycles): end the run (limitHit 6) at the first block boundary at or after modeled
  // cycle `cycles` (0, negative or Infinity: no limit). May be called again during the run (the
  // simulated-time limit follows the core clock when a clock controller changes it).
  Napi::Value SetMaxCycles(const Napi::CallbackInfo& info) {
    const double c = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
    maxCycles_ = (!(c > 0) || c >= 1.8e19) ? UINT64_MAX : static_cast<uint64_t>(c);
    stopAt_ = std::min({excStopAt_, maxCycles_, sliceAt_});
    return info.Env().Undefined();
  }

  // profile_take_back(whole, instructions, cycles): the run stopped inside the current block before
  // part of it ran (a code hook at a stop address): take back that part's counts. whole: the block
  // did not run at all (its own counts and its execution are taken back, exactly); otherwise the
  // given instructions and cycles, at most what was counted since the last call-tree charge.
  Napi::Value ProfileTakeBack(const Napi::CallbackInfo& info) {
    const bool whole = info.Length() > 0 && info[0].ToBoolean().Value();
    uint64_t n = 0;
    uint64_t c = 0;
    if (whole) {
      if (prev_ >= 0) {
        BlockInfo& b = blocks_[prev_];
        if (b.execs > 0) {
          b.execs -= 1;
          n = b.instructions;
          c = b.cycles;
        }
      }
    } else if (info.Length() > 2) {
      n = static_cast<uint64_t>(std::max(0.0, info[1].As<Napi::Number>().DoubleValue()));
      c = static_cast<uint64_t>(std::max(0.0, info[2].As<Napi::Number>().DoubleValue()));
      n = std::min(n, instructions_ - chargedInstructions_);
      c = std::min(c, cyclesNow_ - chargedCycles_);
      takenBackInstructions_ += n;
      takenBackCycles_ += c;
    }
    instructions_ -= n;
    cyclesNow_ -= c;
    return info.Env().Undefined();
  }

  // debug_break(address, on): a breakpoint at `address` (Thumb bit ignored) is set or cleared.
  Napi::Value DebugBreak(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    const uint32_t address = info[0].As<Napi::Number>().Uint32Value() & ~1u;
    const bool on = info[1].ToBoolean().Value();
    auto it = breakHooks_.find(address);
    if (on == (it != breakHooks_.end())) return env.Undefined();
    uc_err err;
    if (on) {
      uc_hook h;
      err = uc_hook_add(uc_, &h, UC_HOOK_CODE, reinterpret_cast<void*>(BreakCb), this, address, address);
      if (err == UC_ERR_OK) breakHooks_[address] = h;
    } else {
      err = uc_hook_del(uc_, it->second);
      breakHooks_.erase(it);
    }
    if (err != UC_ERR_OK) {
      ThrowUc(env, err, on ? "uc_hook_add" : "uc_hook_del");
      return env.Undefined();
    }
    uc_ctl_remove_cache(uc_, static_cast<uint64_t>(address), static_cast<uint64_t>(address) + 1);
    return env.Undefined();
  }

  // debug_watch(begin, end, kind, on): a watchpoint over [begin, end) for writes (1), reads (2) or
  // both (3) is set or cleared.
  Napi::Value DebugWatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    const uint32_t begin = info[0].As<Napi::Number>().Uint32Value();
    const uint64_t end = static_cast<uint64_t>(info[1].As<Napi::Number>().DoubleValue());
    const uint32_t kind = info[2].As<Napi::Number>().Uint32Value();
    const bool on = info[3].ToBoolean().Value();
    if (end <= begin || end > 0x100000000ull || kind < kWatchWrite || kind > kWatchAccess) {
      Napi::RangeError::New(env, "debug_watch: bad range or kind").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto same = [&](const std::unique_ptr<WatchHook>& w) {
      return w->begin == begin && w->end == end && w->kind == kind;
    };
    auto it = std::find_if(watchHooks_.begin(), watchHooks_.end(), same);
    if (on == (it != watchHooks_.end())) return env.Undefined();
    uc_err err;
    if (on) {
      auto w = std::make_unique<WatchHook>(WatchHook{this, 0, begin, end, kind});
      const int type = kind == kWatchWrite ? UC_HOOK_MEM_WRITE
                       : kind == kWatchRead ? UC_HOOK_MEM_READ
                                            : (UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE);
      // Unicorn matches a hook by the access's first address: start 7 bytes early (an 8-byte LDRD or
      // VLDR is the widest single access) and let OnWatch check the overlap.
      const uint64_t from = begin >= 7 ? begin - 7 : 0;
      err = uc_hook_add(uc_, &w->handle, type, reinterpret_cast<void*>(WatchCb), w.get(), from, end - 1);
      if (err == UC_ERR_OK) watchHooks_.push_back(std::move(w));
    } else {
      err = uc_hook_del(uc_, (*it)->handle);
      // The hook's user data stays valid until uc_close: Unicorn frees a deleted hook at the end of
      // the next emu_start, and never calls it after uc_hook_del.
      retiredWatches_.push_back(std::move(*it));
      watchHooks_.erase(it);
    }
    if (err != UC_ERR_OK) {
      ThrowUc(env, err, on ? "uc_hook_add" : "uc_hook_del");
      return env.Undefined();
    }
    // Loads and stores take Unicorn's slow path (which calls memory hooks) only in code translated
    // while a memory hook exists. (When the fine hook comes or goes with it, UpdateFine drops them.)
    const bool fine = fineInstalled_;
    UpdateFine(env);
    if (fine == fineInstalled_) DropTranslations();
    return env.Undefined();
  }

  // debug_step(on): while on, each emu_start stops before the second instruction that starts.
  Napi::Value DebugStep(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Undefined();
    stepping_ = info[0].ToBoolean().Value();
    stepSeen_ = 0;
    UpdateFine(env);
    return env.Undefined();
  }

  // debug_slice(cycle): stop at the first block boundary at or after modeled cycle `cycle`, before
  // that block (-1 or Infinity: no slice).
  Napi::Value DebugSlice(const Napi::CallbackInfo& info) {
    const double c = info[0].As<Napi::Number>().DoubleValue();
    sliceAt_ = (c < 0 || c >= 1.8e19) ? UINT64_MAX : static_cast<uint64_t>(c);
    stopAt_ = std::min({excStopAt_, maxCycles_, sliceAt_});
    return info.Env().Undefined();
  }

  // debug_resume(pc): the debugger resumes at `pc`: a breakpoint there does not fire before the
  // first instruction runs (the debugger is leaving it).
  Napi::Value DebugResume(const Napi::CallbackInfo& info) {
    breakSkip_ = info[0].As<Napi::Number>().Uint32Value() & ~1u;
    breakSkipArmed_ = true;
    stepSeen_ = 0;
    return info.Env().Undefined();
  }

  // debug_forget(): the debugger moved the PC: the next block is entered afresh (no rest of the
  // block stopped in, no predecessor edge).
  Napi::Value DebugForget(const Napi::CallbackInfo& info) {
    continueBlock_ = -1;
    entryCheck_ = hasPendingError_;
    prev_ = -1;
    return info.Env().Undefined();
  }

  // debug_state(): why the last emu_start stopped for the debugger: kind (0 none, 1 breakpoint,
  // 2 step, 3 watchpoint, 4 slice), the PC the hook asked to stop at and, for a watchpoint, the
  // watched address accessed and the watchpoint's kind (1 write, 2 read, 3 access). Reading a
  // watchpoint stop clears the recorded access.
  Napi::Value DebugState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", Napi::Number::New(env, debugKind_));
    o.Set("pc", Napi::Number::New(env, debugPc_));
    o.Set("address", Napi::Number::New(env, debugKind_ == kDebugWatch ? watchAddress_ : 0));
    o.Set("access", Napi::Number::New(env, debugKind_ == kDebugWatch ? watchKind_ : 0));
    if (debugKind_ == kDebugWatch) watchHit_ = false;
    return o;
  }

  Napi::Value Cycles(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(TotalCycles()));
  }

  uc_engine* uc_ = nullptr;
  bool started_ = false;
  std::vector<std::unique_ptr<JsHook>> hooks_;
  bool hasPendingError_ = false;
  Napi::ObjectReference pendingError_;

  // profiler state
  bool profiling_ = false;
  Napi::FunctionReference onNewBlock_;
  std::vector<BlockInfo> blocks_;
  std::vector<int32_t> table_ = std::vector<int32_t>(1 << 12, -1);
  int32_t prev_ = -1;
  uint32_t spEntry_ = 0;  // SpAtEntry
  bool spValid_ = false;
  uint64_t spChecks_ = 0, spMismatches_ = 0;
  uint64_t instructions_ = 0;
  uint64_t maxInstructions_ = 0;
  uint64_t deadlineNs_ = 0;
  bool checkLimits_ = false;
  std::atomic<bool> timedOut_{false};  // set by the watchdog thread (reported as limitHit 2)
  // 1: instruction limit, 3: stack overflow, 4: idle loop, 5: trap, 6: cycle limit (2, the timeout,
  // is timedOut_)
  int limitHit_ = 0;
  // BLOCK_CHECK_* kinds armed now: at reset CCR is 0x200 (no CCR trap) and CPACR 0 (FPU denied).
  uint32_t armedChecks_ = BLOCK_CHECK_ALIGN | BLOCK_CHECK_FP;
  std::vector<TrapCheck> checks_;
  std::vector<std::pair<uint32_t, uint32_t>> blockChecks_;  // per block: first check, count
  uint32_t trapKind_ = 0;
  uint32_t trapPc_ = 0;
  uint32_t trapValue_ = 0;  // the address (alignment) or divisor the check computed
  uint32_t trapAlign_ = 0;
  uint32_t minSp_ = 0xffffffffu;
  uint32_t spLimit_ = 0;
  uint32_t overflowSp_ = 0;
  Frame stack_[kMaxDepth];
  int32_t depth_ = 0;
  int32_t maxDepth_ = 0;  // deepest the shadow stack got, tracked frames or not
  std::vector<FunctionRange> functions_;  // sorted by start, disjoint
  uint32_t rootFunction_ = kNoFunction;   // the reset handler: the root activation, with no frame
  static constexpr size_t kMaxSavedThreads = 256;
  static constexpr size_t kMaxNodes = 1u << 20;  // calling-context tree nodes (48 MiB at most)
  uint64_t droppedPaths_ = 0;                    // calls on new paths once the tree was full
  std::map<uint32_t, std::vector<Frame>> savedThreads_;  // parked threads by exception-frame address
  std::vector<uint32_t> deepestPath_;
  int32_t deepestDepth_ = 0;
  uint64_t deepestCycles_ = 0;
  // Running totals at the entry of the current block (TotalCycles() and Instructions() sum the
  // blocks instead, and agree with these), for the calling-context tree.
  uint64_t cyclesNow_ = 0;
  // Exception model (src/emulator/exceptions.ts): stop threshold, stopped-for-exception flag, and the
  // entry/return/sleep cycles charged outside any block.
  // stopAt_ = min(excStopAt_, maxCycles_, sliceAt_): the exception model's next stop, the cycle
  // limit and the debugger's time slice.
  uint64_t stopAt_ = UINT64_MAX;
  uint64_t excStopAt_ = UINT64_MAX;
  uint64_t maxCycles_ = UINT64_MAX;
  uint64_t sliceAt_ = UINT64_MAX;  // the debugger's time slice (debug_slice)
  // Counts of partly run blocks taken back at a stop inside them (profile_take_back).
  uint64_t takenBackInstructions_ = 0;
  uint64_t takenBackCycles_ = 0;
  bool maskWatch_ = false;
  bool excStop_ = false;
  bool onPsp_ = false;
  uint32_t minPsp_ = 0xffffffffu;
  uint32_t excMinSp_ = 0xffffffffu;
  uint32_t pspWindow_ = 0xffffffffu;  // process-stack low-water since the last exception entry  // main-stack low-water since the last exception entry/return
  uint64_t extraCycles_ = 0;
  uint64_t chargedCycles_ = 0;
  uint64_t chargedInstructions_ = 0;
  std::vector<CallNode> nodes_;
  uint32_t windowMinSp_ = 0xffffffffu;
  // The break functions the ELF defines: entry (Thumb bit clear) and the Unicorn register holding
  // the increment (R0 for _sbrk/sbrk, R1 for _sbrk_r). At most kMaxBreakFunctions.
  struct BreakFunction {
    uint32_t address;
    int reg;
  };
  static constexpr int32_t kMaxBreakFunctions = 8;
  BreakFunction breakFunctions_[kMaxBreakFunctions] = {};
  int32_t breakFunctionCount_ = 0;
  // Break calls entered and not yet returned, innermost last.
  struct PendingBreak {
    uint32_t ret;
    uint32_t increment;
  };
  static constexpr int32_t kBreakDepth = 4;
  PendingBreak pendingBreaks_[kBreakDepth] = {};
  int32_t breakDepth_ = 0;
  bool breakPending_ = false;
  bool heapSeen_ = false;
  uint32_t heapStart_ = 0;
  uint32_t heapHigh_ = 0;
  uint32_t breakCalls_ = 0;
  uint32_t exactMinSp_ = 0xffffffffu;
  uint32_t exactMinWrite_ = 0xffffffffu;
  // Debugger state (see "debugger" above).
  bool boundaryStop_ = false;   // the last stop was StopAtBoundary's, before the block at boundaryPc_
  uint32_t boundaryPc_ = 0;
  bool entryCheck_ = false;     // OnBlock must look at its entry: hasPendingError_ or continueBlock_
  int32_t continueBlock_ = -1;  // the block a debug stop left charged, or -1
  uint32_t debugKind_ = 0;      // why the last emu_start stopped for the debugger (kDebug*, 0: not)
  uint32_t debugPc_ = 0;
  std::map<uint32_t, uc_hook> breakHooks_;
  std::vector<std::unique_ptr<WatchHook>> watchHooks_;
  std::vector<std::unique_ptr<WatchHook>> retiredWatches_;
  uc_hook fineHook_ = 0;
  bool fineInstalled_ = false;
  bool stepping_ = false;
  uint32_t stepSeen_ = 0;
  bool watchHit_ = false;
  uint32_t watchKind_ = 0;
  uint32_t watchAddress_ = 0;
  bool breakSkipArmed_ = false;
  uint32_t breakSkip_ = 0;
};

// --- C trampolines ------------------------------------------------------------------------------

void ProfBlockCb(uc_engine*, uint64_t address, uint32_t size, void* user) {
  static_cast<Unicorn*>(user)->OnBlock(address, size);
}
void ProfCodeCb(uc_engine*, uint64_t address, uint32_t size, void* user) {
  static_cast<Unicorn*>(user)->OnCodeExact(address, size);
}
void ProfWriteCb(uc_engine*, uc_mem_type, uint64_t address, int size, int64_t, void* user) {
  static_cast<Unicorn*>(user)->OnWriteExact(address, size);
}

void JsCodeCb(uc_engine*, uint64_t address, uint32_t size, void* user) {
  JsHook* h = static_cast<JsHook*>(user);
  h->self->ForgetSp();  // JavaScript may set registers
  Napi::Env env = h->fn.Env();
  Napi::HandleScope scope(env);
  h->fn.Call({Napi::Number::New(env, static_cast<double>(address)), Napi::Number::New(env, size)});
  h->self->CheckJsException(env);
}

void JsIntrCb(uc_engine*, uint32_t intno, void* user) {
  JsHook* h = static_cast<JsHook*>(user);
  h->self->ForgetSp();  // JavaScript may set registers
  Napi::Env env = h->fn.Env();
  Napi::HandleScope scope(env);
  h->fn.Call({Napi::Number::New(env, intno)});
  h->self->CheckJsException(env);
}

bool JsInsnInvalidCb(uc_engine*, void* user) {
  JsHook* h = static_cast<JsHook*>(user);
  h->self->ForgetSp();  // JavaScript may set registers
  Napi::Env env = h->fn.Env();
  Napi::HandleScope scope(env);
  Napi::Value r = h->fn.Call({});
  if (h->self->CheckJsException(env)) return false;
  return r.IsBoolean() && r.As<Napi::Boolean>().Value();
}

bool JsMemEventCb(uc_engine*, uc_mem_type type, uint64_t address, int size, int64_t value, void* user) {
  JsHook* h = static_cast<JsHook*>(user);
  h->self->ForgetSp();  // JavaScript may set registers
  Napi::Env env = h->fn.Env();
  Napi::HandleScope scope(env);
  Napi::Value r = h->fn.Call({Napi::Number::New(env, type), Napi::Number::New(env, static_cast<double>(address)),
                              Napi::Number::New(env, size), Napi::Number::New(env, static_cast<double>(value))});
  if (h->self->CheckJsException(env)) return false;
  return r.IsBoolean() && r.As<Napi::Boolean>().Value();
}

void JsMemAccessCb(uc_engine*, uc_mem_type type, uint64_t address, int size, int64_t value, void* user) {
  JsHook* h = static_cast<JsHook*>(user);
  h->self->ForgetSp();  // JavaScript may set registers
  Napi::Env env = h->fn.Env();
  Napi::HandleScope scope(env);
  h->fn.Call({Napi::Number::New(env, type), Napi::Number::New(env, static_cast<double>(address)),
              Napi::Number::New(env, size), Napi::Number::New(env, static_cast<double>(value))});
  h->self->CheckJsException(env);
}

uint64_t JsMmioReadCb(uc_engine*, uint64_t offset, unsigned size, void* user) {
  JsHook* h = static_cast<JsHook*>(user);
  h->self->ForgetSp();  // JavaScript may set registers
  Napi::Env env = h->fn.Env();
  Napi::HandleScope scope(env);
  Napi::Value r = h->fn.Call({Napi::Number::New(env, static_cast<double>(offset)), Napi::Number::New(env, size)});
  if (h->self->CheckJsException(env)) return 0;
  return r.IsNumber() ? static_cast<uint64_t>(r.As<Napi::Number>().Int64Value()) : 0;
}

void JsMmioWriteCb(uc_engine*, uint64_t offset, unsigned size, uint64_t value, void* user) {
  JsHook* h = static_cast<JsHook*>(user);
  h->self->ForgetSp();  // JavaScript may set registers
  Napi::Env env = h->fn2.Env();
  Napi::HandleScope scope(env);
  h->fn2.Call({Napi::Number::New(env, static_cast<double>(offset)), Napi::Number::New(env, size),
               Napi::Number::New(env, static_cast<double>(value))});
  h->self->CheckJsException(env);
}

Napi::Value Unicorn::HookAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Ready(env)) return env.Undefined();
  if (started_) {
    // Unicorn issue #2200: hooks added after code was translated do not fire for that code.
    Napi::Error::New(env, "hooks must be added before the first emu_start").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int type = info[0].As<Napi::Number>().Int32Value();
  if (!info[1].IsFunction()) {
    Napi::TypeError::New(env, "hook_add(type, callback) needs a function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint64_t begin = info.Length() > 2 ? static_cast<uint64_t>(info[2].As<Napi::Number>().DoubleValue()) : 1;
  uint64_t end = info.Length() > 3 ? static_cast<uint64_t>(info[3].As<Napi::Number>().DoubleValue()) : 0;
  auto h = std::make_unique<JsHook>();
  h->self = this;
  h->fn = Napi::Persistent(info[1].As<Napi::Function>());
  h->type = type;
  void* cb = nullptr;
  if (type == UC_HOOK_INTR) {
    cb = reinterpret_cast<void*>(JsIntrCb);
  } else if (type == UC_HOOK_CODE || type == UC_HOOK_BLOCK) {
    cb = reinterpret_cast<void*>(JsCodeCb);
  } else if (type == UC_HOOK_INSN_INVALID) {
    cb = reinterpret_cast<void*>(JsInsnInvalidCb);
  } else if (type & (UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED |
                     UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_FETCH_PROT)) {
    cb = reinterpret_cast<void*>(JsMemEventCb);
  } else if (type & (UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE | UC_HOOK_MEM_FETCH | UC_HOOK_MEM_READ_AFTER)) {
    cb = reinterpret_cast<void*>(JsMemAccessCb);
  } else {
    Napi::Error::New(env, "unsupported hook type " + std::to_string(type)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uc_err err = uc_hook_add(uc_, &h->handle, type, cb, h.get(), begin, end);
  if (err != UC_ERR_OK) {
    ThrowUc(env, err, "uc_hook_add");
    return env.Undefined();
  }
  hooks_.push_back(std::move(h));
  return Napi::Number::New(env, static_cast<double>(hooks_.size() - 1));
}

Napi::Value Unicorn::MmioMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Ready(env)) return env.Undefined();
  uint64_t address = static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue());
  size_t size = static_cast<size_t>(info[1].As<Napi::Number>().DoubleValue());
  if (!info[2].IsFunction() || !info[3].IsFunction()) {
    Napi::TypeError::New(env, "mmio_map(address, size, read, write) needs two functions").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto h = std::make_unique<JsHook>();
  h->self = this;
  h->fn = Napi::Persistent(info[2].As<Napi::Function>());
  h->fn2 = Napi::Persistent(info[3].As<Napi::Function>());
  h->type = -1;
  uc_err err = uc_mmio_map(uc_, address, size, JsMmioReadCb, h.get(), JsMmioWriteCb, h.get());
  if (err != UC_ERR_OK) {
    ThrowUc(env, err, "uc_mmio_map");
    return env.Undefined();
  }
  hooks_.push_back(std::move(h));
  return env.Undefined();
}

// profile_enable({ onNewBlock, breaks?, maxInstructions?, timeoutMs?, exact?, exactBegin?, exactEnd? })
// breaks: [{ address, register }] — the break functions to follow, register 0–3 the argument (R0–R3)
// holding the increment; entries past kMaxBreakFunctions or with another register are ignored.
Napi::Value Unicorn::ProfileEnable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Ready(env)) return env.Undefined();
  if (started_ || profiling_) {
    Napi::Error::New(env, "profile_enable must be called once, before the first emu_start")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = info[0].As<Napi::Object>();
  if (!o.Get("onNewBlock").IsFunction()) {
    Napi::TypeError::New(env, "profile_enable needs onNewBlock").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  onNewBlock_ = Napi::Persistent(o.Get("onNewBlock").As<Napi::Function>());
  auto num = [&](const char* k, double d) -> double {
    Napi::Value v = o.Get(k);
    return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : d;
  };
  breakFunctionCount_ = 0;
  Napi::Value breaks = o.Get("breaks");
  if (breaks.IsArray()) {
    static const int kArgRegs[4] = {UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3};
    Napi::Array a = breaks.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length() && breakFunctionCount_ < kMaxBreakFunctions; ++i) {
      Napi::Value e = a.Get(i);
      if (!e.IsObject()) continue;
      Napi::Value addr = e.As<Napi::Object>().Get("address");
      Napi::Value reg = e.As<Napi::Object>().Get("register");
      if (!addr.IsNumber() || !reg.IsNumber()) continue;
      const double r = reg.As<Napi::Number>().DoubleValue();
      const double at = addr.As<Napi::Number>().DoubleValue();
      if (!(r >= 0 && r <= 3) || r != static_cast<int>(r) || !(at >= 0 && at <= 0xffffffffu)) continue;
      breakFunctions_[breakFunctionCount_++] =
          BreakFunction{static_cast<uint32_t>(at) & ~1u, kArgRegs[static_cast<int>(r)]};
    }
  }
  maxInstructions_ = static_cast<uint64_t>(num("maxInstructions", 0));
  // functions: [start, end, entry] per function, sorted by start (the ELF's function symbols);
  // root: the reset handler's entry. Both are data from the firmware: kept only when well-formed.
  rootFunction_ = static_cast<uint32_t>(num("root", kNoFunction));
  Napi::Value fv = o.Get("functions");
  if (fv.IsTypedArray() && fv.As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array) {
    Napi::Uint32Array t = fv.As<Napi::Uint32Array>();
    const size_t count = t.ElementLength() / 3;
    functions_.clear();
    functions_.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      FunctionRange r{t[3 * i], t[3 * i + 1], t[3 * i + 2]};
      if (r.end <= r.start || (!functions_.empty() && r.start < functions_.back().end)) {
        functions_.clear();
        break;
      }
      functions_.push_back(r);
    }
  }
  spLimit_ = static_cast<uint32_t>(num("spLimit", 0));
  double timeoutMs = num("timeoutMs", 0);
  // At most ~31 years, so the nanosecond deadline cannot overflow.
  deadlineNs_ = timeoutMs > 0 ? NowNs() + static_cast<uint64_t>(std::min(timeoutMs, 1e12) * 1e6) : 0;
  checkLimits_ = maxInstructions_ > 0;
  uc_hook h;
  uc_err err = uc_hook_add(uc_, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(ProfBlockCb), this, 1, 0);
  if (err != UC_ERR_OK) {
    ThrowUc(env, err, "uc_hook_add");
    return env.Undefined();
  }
  Napi::Value exact = o.Get("exact");
  if (exact.IsBoolean() && exact.As<Napi::Boolean>().Value()) {
    uint64_t begin = static_cast<uint64_t>(num("exactBegin", 0));
    uint64_t end = static_cast<uint64_t>(num("exactEnd", 0));
    err = uc_hook_add(uc_, &h, UC_HOOK_CODE, reinterpret_cast<void*>(ProfCodeCb), this, 1, 0);
    if (err == UC_ERR_OK)
      err = uc_hook_add(uc_, &h, UC_HOOK_MEM_WRITE, reinterpret_cast<void*>(ProfWriteCb), this, begin, end - 1);
    if (err != UC_ERR_OK) {
      ThrowUc(env, err, "uc_hook_add");
      return env.Undefined();
    }
  }
  nodes_.assign(1, CallNode{0, -1, -1, -1, 1, 0, 0});
  profiling_ = true;
  return env.Undefined();
}

// --- Capstone ------------------------------------------------------------------------------------

const char* OpType(arm_op_type t) {
  switch (t) {
    case ARM_OP_REG: return "reg";
    case ARM_OP_IMM: return "imm";
    case ARM_OP_MEM: return "mem";
    case ARM_OP_FP: return "fp";
    case ARM_OP_CIMM: return "cimm";
    case ARM_OP_PIMM: return "pimm";
    case ARM_OP_SETEND: return "setend";
    case ARM_OP_SYSREG: return "sysreg";
    default: return "invalid";
  }
}

// disasm(bytes, address[, count]) → {ints, fps, strs}: Thumb-2 (M-class) instructions packed into
// one Int32Array, stopping at the first undecodable word; src/emulator/native.ts unpacks them into
// Insn objects. Building those objects here, one N-API property at a time (some 250 for a block of
// five instructions), took most of a block's first-sight cost and so most of `m4sim simulate`'s
// start-up on a small ELF (README "Start-up"); plain JavaScript object literals are far cheaper.
// Per instruction: address, size, id, cc, updateFlags | writeback << 1, the strs indices of its
// mnemonic and operand text, then the counts and codes
// of regsRead, regsWrite and groups, then the operand count and per operand: type, a, b, c, d,
// subtracted, access, shiftType, shiftValue (reg/sysreg: a = register; imm/cimm/pimm: a = value;
// fp: a = index into fps; mem: a = base, b = index (-1: none), c = disp, d = scale). A register or
// group code below disasm_names()'s tables is its index there; -2 - k names strs[k].
constexpr unsigned kNamedRegs = 512, kNamedGroups = 256;

Napi::Value Disasm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // One Capstone handle per thread: worker threads (m4sim check --jobs) disassemble concurrently.
  static thread_local csh handle = 0;
  if (handle == 0) {
    if (cs_open(CS_ARCH_ARM, static_cast<cs_mode>(CS_MODE_THUMB | CS_MODE_MCLASS), &handle) != CS_ERR_OK) {
      Napi::Error::New(env, "cs_open failed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  uint64_t address = static_cast<uint64_t>(info[1].As<Napi::Number>().DoubleValue());
  size_t count = info.Length() > 2 ? static_cast<size_t>(info[2].As<Napi::Number>().DoubleValue()) : 0;
  cs_insn* insn = nullptr;
  size_t n = cs_disasm(handle, bytes.Data(), bytes.ByteLength(), address, count, &insn);
  std::vector<int32_t> ints;
  std::vector<double> fps;
  Napi::Array strs = Napi::Array::New(env);
  uint32_t nstrs = 0;
  auto str = [&](const char* t) {
    strs.Set(nstrs, Napi::String::New(env, t ? t : "?"));
    return static_cast<int32_t>(nstrs++);
  };
  auto reg = [&](unsigned r) { return r < kNamedRegs ? static_cast<int32_t>(r) : -2 - str(cs_reg_name(handle, r)); };
  ints.reserve(n * 48);
  for (size_t i = 0; i < n; ++i) {
    const cs_insn& in = insn[i];
    const cs_detail& d = *in.detail;
    const cs_arm& arm = d.arm;
    const int32_t mnemonic = str(in.mnemonic), opStr = str(in.op_str);
    ints.insert(ints.end(), {static_cast<int32_t>(in.address), in.size, static_cast<int32_t>(in.id), arm.cc,
                             (arm.update_flags ? 1 : 0) | (arm.writeback ? 2 : 0), mnemonic, opStr});
    ints.push_back(d.regs_read_count);
    for (uint8_t k = 0; k < d.regs_read_count; ++k) ints.push_back(reg(d.regs_read[k]));
    ints.push_back(d.regs_write_count);
    for (uint8_t k = 0; k < d.regs_write_count; ++k) ints.push_back(reg(d.regs_write[k]));
    ints.push_back(d.groups_count);
    for (uint8_t k = 0; k < d.groups_count; ++k)
      ints.push_back(d.groups[k] < kNamedGroups ? d.groups[k] : -2 - str(cs_group_name(handle, d.groups[k])));
    ints.push_back(arm.op_count);
    for (uint8_t k = 0; k < arm.op_count; ++k) {
      const cs_arm_op& op = arm.operands[k];
      int32_t a = 0, b = 0, c = 0, e = 0;
      if (op.type == ARM_OP_REG || op.type == ARM_OP_SYSREG) a = op.type == ARM_OP_REG ? reg(op.reg) : op.reg;
      if (op.type == ARM_OP_IMM || op.type == ARM_OP_CIMM || op.type == ARM_OP_PIMM) a = op.imm;
      if (op.type == ARM_OP_FP) {
        a = static_cast<int32_t>(fps.size());
        fps.push_back(op.fp);
      }
      if (op.type == ARM_OP_MEM) {
        a = op.mem.base != ARM_REG_INVALID ? reg(op.mem.base) : -1;
        b = op.mem.index != ARM_REG_INVALID ? reg(op.mem.index) : -1;
        c = op.mem.disp;
        e = op.mem.scale;
      }
      ints.insert(ints.end(), {static_cast<int32_t>(op.type), a, b, c, e, op.subtracted ? 1 : 0, op.access,
                               static_cast<int32_t>(op.shift.type), static_cast<int32_t>(op.shift.value)});
    }
  }
  if (n > 0) cs_free(insn, n);
  Napi::Int32Array packed = Napi::Int32Array::New(env, ints.size());
  if (!ints.empty()) std::memcpy(packed.Data(), ints.data(), ints.size() * sizeof(int32_t));
  Napi::Float64Array fp = Napi::Float64Array::New(env, fps.size());
  if (!fps.empty()) std::memcpy(fp.Data(), fps.data(), fps.size() * sizeof(double));
  Napi::Object out = Napi::Object::New(env);
  out.Set("count", Napi::Number::New(env, static_cast<double>(n)));
  out.Set("ints", packed);
  out.Set("fps", fp);
  out.Set("strs", strs);
  return out;
}

// disasm_names() → {regs, groups, opTypes}: Capstone's register and group names for the codes
// disasm packs (below kNamedRegs / kNamedGroups; "?" where Capstone has none), and operand type
// names by arm_op_type code.
Napi::Value DisasmNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  csh handle = 0;
  if (cs_open(CS_ARCH_ARM, static_cast<cs_mode>(CS_MODE_THUMB | CS_MODE_MCLASS), &handle) != CS_ERR_OK) {
    Napi::Error::New(env, "cs_open failed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto name = [&](const char* t) { return Napi::String::New(env, t ? t : "?"); };
  Napi::Array regs = Napi::Array::New(env, kNamedRegs);
  for (unsigned r = 0; r < kNamedRegs; ++r) regs.Set(r, name(cs_reg_name(handle, r)));
  Napi::Array groups = Napi::Array::New(env, kNamedGroups);
  for (unsigned g = 0; g < kNamedGroups; ++g) groups.Set(g, name(cs_group_name(handle, g)));
  cs_close(&handle);
  Napi::Object types = Napi::Object::New(env);
  for (arm_op_type t : {ARM_OP_INVALID, ARM_OP_REG, ARM_OP_IMM, ARM_OP_MEM, ARM_OP_FP, ARM_OP_CIMM, ARM_OP_PIMM,
                        ARM_OP_SETEND, ARM_OP_SYSREG})
    types.Set(static_cast<uint32_t>(t), Napi::String::New(env, OpType(t)));
  Napi::Object out = Napi::Object::New(env);
  out.Set("regs", regs);
  out.Set("groups", groups);
  out.Set("opTypes", types);
  return out;
}

// Which Unicorn and Capstone are loaded: the versions the libraries report (uc_version packs
// major, minor, patch and extra into one word), the version of the headers this addon was built
// against, and the file the dynamic linker loaded Unicorn from (m4sim doctor; a build against a
// Unicorn of one's own, README "Engine").
Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  unsigned ucMajor = 0, ucMinor = 0;
  uc_version(&ucMajor, &ucMinor);
  const unsigned hex = uc_version(nullptr, nullptr);
  int csMajor = 0, csMinor = 0;
  cs_version(&csMajor, &csMinor);
  const auto dotted = [](unsigned a, unsigned b, unsigned c) {
    return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c);
  };
  Dl_info where{};
  const bool found = dladdr(reinterpret_cast<void*>(&uc_version), &where) != 0 && where.dli_fname != nullptr;
  Napi::Object o = Napi::Object::New(env);
  o.Set("unicorn", Napi::String::New(env, std::to_string(ucMajor) + "." + std::to_string(ucMinor)));
  o.Set("unicornHex", Napi::Number::New(env, hex));
  o.Set("unicornVersion", Napi::String::New(env, dotted(hex >> 24, (hex >> 16) & 0xff, (hex >> 8) & 0xff)));
  o.Set("unicornHeaders", Napi::String::New(env, dotted(UC_API_MAJOR, UC_API_MINOR, UC_API_PATCH)));
  o.Set("unicornLibrary", found ? Napi::Value(Napi::String::New(env, where.dli_fname)) : env.Null());
  o.Set("capstone", Napi::String::New(env, std::to_string(csMajor) + "." + std::to_string(csMinor)));
  return o;
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("Unicorn", Unicorn::Init(env));
  exports.Set("disasm", Napi::Function::New(env, Disasm));
  exports.Set("disasm_names", Napi::Function::New(env, DisasmNames));
  exports.Set("versions", Napi::Function::New(env, Versions));
  return exports;
}

}  // namespace

NODE_API_MODULE(m4sim_native, InitModule)
