;; ballast: a canister that is as large as you ask it to be, for snapshot transfer tests and
;; benchmarks.
;;
;;   service : {
;;     grow : (nat32, nat32) -> (nat64);   // (heap MiB, stable MiB) to add; replies the checksum
;;     checksum : () -> (nat64) query;     // recomputes the checksum
;;   }
;;
;; Content is deterministic and never zero: the 32-bit word at byte offset `o` of a region is
;; mix(o XOR seed) | 0x01010101, with seed 0x48454150 ("HEAP") for the heap and 0x53544142
;; ("STAB") for stable memory, and
;;   mix(x) = x * 0x9E3779B1;  x ^= x >> 16;  x *= 0x85EBCA6B;  x ^= x >> 13   (32-bit, unsigned)
;; For the heap, `o` is the absolute address; for stable memory, the stable-memory offset.
;;
;; The checksum runs over the ballast heap (from address 131072 to the end of the memory) and then
;; over the whole stable memory, as little-endian 32-bit words w:
;;   h = 0x811C9DC5; s = 0;  for each w: h = (h ^ w) * 0x01000193; s = s + w   (32-bit)
;;   checksum = h << 32 | s
;; emulator/canisters/index.ts computes the same over snapshot bytes.
;;
;; Heap layout:
;;   page 0     0 .. 15 reply (nat64), 16 .. 31 argument buffer, 64 .. message texts
;;   page 1     staging buffer for stable-memory writes and reads (not checksummed)
;;   page 2 ..  the ballast
;;
;; Candid: the argument (nat32, nat32) is "DIDL" 00 02 79 79 then two 4-byte little-endian values
;; (nat32 = sleb -7 = 0x79); the reply (nat64) is "DIDL" 00 01 78 then 8 bytes.
(module
  (import "ic0" "msg_arg_data_size" (func $msg_arg_data_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $msg_arg_data_copy (param $dst i32) (param $offset i32) (param $size i32)))
  (import "ic0" "msg_reply_data_append" (func $msg_reply_data_append (param $src i32) (param $size i32)))
  (import "ic0" "msg_reply" (func $msg_reply))
  (import "ic0" "trap" (func $trap (param $src i32) (param $size i32)))
  (import "ic0" "stable64_size" (func $stable64_size (result i64)))
  (import "ic0" "stable64_grow" (func $stable64_grow (param $pages i64) (result i64)))
  (import "ic0" "stable64_read" (func $stable64_read (param $dst i64) (param $offset i64) (param $size i64)))
  (import "ic0" "stable64_write" (func $stable64_write (param $offset i64) (param $src i64) (param $size i64)))

  (memory (export "memory") 2)

  (data (i32.const 0) "DIDL\00\01\78")
  (data (i32.const 64) "ballast: grow expects (nat32, nat32)")     ;; 36 bytes
  (data (i32.const 112) "ballast: cannot grow the heap")           ;; 29 bytes
  (data (i32.const 144) "ballast: cannot grow stable memory")      ;; 34 bytes

  ;; 64 KiB
  (global $PAGE i32 (i32.const 65536))
  (global $STAGING i32 (i32.const 65536))
  (global $BALLAST_START i32 (i32.const 131072))
  (global $HEAP_SEED i32 (i32.const 0x48454150))
  (global $STABLE_SEED i32 (i32.const 0x53544142))

  (func $word (param $offset i32) (param $seed i32) (result i32)
    (local $x i32)
    (local.set $x (i32.mul (i32.xor (local.get $offset) (local.get $seed)) (i32.const 0x9E3779B1)))
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 16))))
    (local.set $x (i32.mul (local.get $x) (i32.const 0x85EBCA6B)))
    (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 13))))
    (i32.or (local.get $x) (i32.const 0x01010101)))

  ;; Fills heap [$start, $end) with the words of `offset = $label + (address - $start)`.
  (func $fill (param $start i32) (param $end i32) (param $label i32) (param $seed i32)
    (local $at i32)
    (local.set $at (local.get $start))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (i32.store (local.get $at)
          (call $word (i32.add (local.get $label) (i32.sub (local.get $at) (local.get $start))) (local.get $seed)))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $next))))

  ;; Folds heap words [$start, $end) into the running checksum (h in the high half, s in the low).
  (func $fold (param $start i32) (param $end i32) (param $sum i64) (result i64)
    (local $h i32)
    (local $s i32)
    (local $w i32)
    (local $at i32)
    (local.set $h (i32.wrap_i64 (i64.shr_u (local.get $sum) (i64.const 32))))
    (local.set $s (i32.wrap_i64 (local.get $sum)))
    (local.set $at (local.get $start))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $w (i32.load (local.get $at)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (local.get $w)) (i32.const 0x01000193)))
        (local.set $s (i32.add (local.get $s) (local.get $w)))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $next)))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $h)) (i64.const 32))
      (i64.extend_i32_u (local.get $s))))

  (func $checksum (result i64)
    (local $sum i64)
    (local $offset i64)
    (local $stable_end i64)
    (local.set $sum (i64.const 0x811C9DC500000000))
    (local.set $sum (call $fold
      (global.get $BALLAST_START)
      (i32.mul (memory.size) (global.get $PAGE))
      (local.get $sum)))
    (local.set $stable_end (i64.mul (call $stable64_size) (i64.const 65536)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $offset) (local.get $stable_end)))
        (call $stable64_read (i64.const 65536) (local.get $offset) (i64.const 65536))
        (local.set $sum (call $fold
          (global.get $STAGING)
          (i32.add (global.get $STAGING) (global.get $PAGE))
          (local.get $sum)))
        (local.set $offset (i64.add (local.get $offset) (i64.const 65536)))
        (br $next)))
    (local.get $sum))

  (func $reply_checksum
    (i64.store (i32.const 7) (call $checksum))
    (call $msg_reply_data_append (i32.const 0) (i32.const 15))
    (call $msg_reply))

  (func (export "canister_update grow")
    (local $heap_pages i32)
    (local $stable_pages i64)
    (local $old i32)
    (local $old_stable i64)
    (local $offset i64)
    (local $end i64)
    ;; Exactly "DIDL" 00 02 79 79 followed by two 4-byte values.
    (if (i32.ne (call $msg_arg_data_size) (i32.const 16))
      (then (call $trap (i32.const 64) (i32.const 36))))
    (call $msg_arg_data_copy (i32.const 16) (i32.const 0) (i32.const 16))
    (if (i32.or
          (i32.ne (i32.load (i32.const 16)) (i32.const 0x4c444944))    ;; "DIDL"
          (i32.ne (i32.load (i32.const 20)) (i32.const 0x79790200)))   ;; 00 02 79 79
      (then (call $trap (i32.const 64) (i32.const 36))))
    ;; 1 MiB = 16 pages.
    (local.set $heap_pages (i32.mul (i32.load (i32.const 24)) (i32.const 16)))
    (local.set $stable_pages (i64.mul (i64.load32_u (i32.const 28)) (i64.const 16)))

    (local.set $old (memory.grow (local.get $heap_pages)))
    (if (i32.eq (local.get $old) (i32.const -1))
      (then (call $trap (i32.const 112) (i32.const 29))))
    (call $fill
      (i32.mul (local.get $old) (global.get $PAGE))
      (i32.mul (memory.size) (global.get $PAGE))
      (i32.mul (local.get $old) (global.get $PAGE))
      (global.get $HEAP_SEED))

    (local.set $old_stable (call $stable64_grow (local.get $stable_pages)))
    (if (i64.eq (local.get $old_stable) (i64.const -1))
      (then (call $trap (i32.const 144) (i32.const 34))))
    (local.set $offset (i64.mul (local.get $old_stable) (i64.const 65536)))
    (local.set $end (i64.mul (call $stable64_size) (i64.const 65536)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $offset) (local.get $end)))
        (call $fill
          (global.get $STAGING)
          (i32.add (global.get $STAGING) (global.get $PAGE))
          (i32.wrap_i64 (local.get $offset))
          (global.get $STABLE_SEED))
        (call $stable64_write (local.get $offset) (i64.const 65536) (i64.const 65536))
        (local.set $offset (i64.add (local.get $offset) (i64.const 65536)))
        (br $next)))
    (call $reply_checksum))

  (func (export "canister_query checksum")
    (call $reply_checksum))
)
