;; counter v2: counter v1 with a broken `get`, the bad deploy that a post-deploy check catches.
;;
;; Everything but `get` is as in counter_v1.wat (same Candid interface, same heap layout, same
;; upgrade hooks), so upgrading v1 -> v2 keeps the value and only reading it fails: `get` calls
;; ic0.trap, which the IC reports as IC0503.
;;
;;   service : {
;;     inc : () -> (nat64);          // adds one, replies with the new value
;;     get : () -> (nat64) query;    // traps: 'counter v2: get is broken'
;;     set : (nat64) -> ();
;;   }
;;
;; The value lives in the Wasm heap only, so it survives an upgrade solely because
;; canister_pre_upgrade copies it to stable memory and canister_post_upgrade reads it back.
;; Every change also becomes the canister's certified data (the value's 8 little-endian bytes),
;; and a mutable global counts the changes since the last install or upgrade, so snapshots
;; carry all three kinds of state: heap, stable memory and globals.
;;
;; Arguments and replies are Candid, hand-encoded because their shapes are fixed:
;;   ()        = "DIDL" 00 00                  (magic, no type table entries, no values)
;;   (nat64)   = "DIDL" 00 01 78 <8 bytes LE>  (one value of primitive type nat64 = sleb -8)
;;
;; Heap layout (page 0):
;;   0 .. 8     the counter
;;   16 .. 31   reply buffer for (nat64): header at 16, value at 23
;;   32 .. 38   the empty reply ()
;;   48 .. 63   argument buffer for set
;;   64 ..      message texts
(module
  (import "ic0" "msg_arg_data_size" (func $msg_arg_data_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $msg_arg_data_copy (param $dst i32) (param $offset i32) (param $size i32)))
  (import "ic0" "msg_reply_data_append" (func $msg_reply_data_append (param $src i32) (param $size i32)))
  (import "ic0" "msg_reply" (func $msg_reply))
  (import "ic0" "trap" (func $trap (param $src i32) (param $size i32)))
  (import "ic0" "debug_print" (func $debug_print (param $src i32) (param $size i32)))
  (import "ic0" "certified_data_set" (func $certified_data_set (param $src i32) (param $size i32)))
  (import "ic0" "stable64_size" (func $stable64_size (result i64)))
  (import "ic0" "stable64_grow" (func $stable64_grow (param $pages i64) (result i64)))
  (import "ic0" "stable64_read" (func $stable64_read (param $dst i64) (param $offset i64) (param $size i64)))
  (import "ic0" "stable64_write" (func $stable64_write (param $offset i64) (param $src i64) (param $size i64)))

  (memory (export "memory") 1)

  ;; Number of state changes since install (not persisted across upgrades).
  (global $changes (mut i64) (i64.const 0))

  (data (i32.const 16) "DIDL\00\01\78")
  (data (i32.const 32) "DIDL\00\00")
  (data (i32.const 64) "counter v2 installed")                      ;; 20 bytes
  (data (i32.const 96) "counter: set expects one nat64 argument")   ;; 39 bytes
  (data (i32.const 144) "counter: cannot grow stable memory")       ;; 34 bytes
  (data (i32.const 192) "counter v2: get is broken")                ;; 25 bytes

  (func $reply_value
    (i64.store (i32.const 23) (i64.load (i32.const 0)))
    (call $msg_reply_data_append (i32.const 16) (i32.const 15))
    (call $msg_reply))

  ;; Records a change: counts it and certifies the new value.
  (func $changed
    (global.set $changes (i64.add (global.get $changes) (i64.const 1)))
    (call $certified_data_set (i32.const 0) (i32.const 8)))

  (func (export "canister_init")
    (call $debug_print (i32.const 64) (i32.const 20)))

  (func (export "canister_update inc")
    (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
    (call $changed)
    (call $reply_value))

  (func (export "canister_query get")
    (call $trap (i32.const 192) (i32.const 25)))

  (func (export "canister_update set")
    ;; Exactly "DIDL" 00 01 78 followed by 8 bytes.
    (if (i32.ne (call $msg_arg_data_size) (i32.const 15))
      (then (call $trap (i32.const 96) (i32.const 39))))
    (call $msg_arg_data_copy (i32.const 48) (i32.const 0) (i32.const 15))
    (if (i32.or
          (i32.ne (i32.load (i32.const 48)) (i32.const 0x4c444944))              ;; "DIDL"
          (i32.ne                                                                 ;; 00 01 78
            (i32.and (i32.load offset=4 (i32.const 48)) (i32.const 0x00ffffff))
            (i32.const 0x00780100)))
      (then (call $trap (i32.const 96) (i32.const 39))))
    (i64.store (i32.const 0) (i64.load offset=7 (i32.const 48)))
    (call $changed)
    (call $msg_reply_data_append (i32.const 32) (i32.const 6))
    (call $msg_reply))

  (func (export "canister_pre_upgrade")
    (if (i64.eqz (call $stable64_size))
      (then
        (if (i64.eq (call $stable64_grow (i64.const 1)) (i64.const -1))
          (then (call $trap (i32.const 144) (i32.const 34))))))
    (call $stable64_write (i64.const 0) (i64.const 0) (i64.const 8)))

  (func (export "canister_post_upgrade")
    (if (i64.ne (call $stable64_size) (i64.const 0))
      (then (call $stable64_read (i64.const 0) (i64.const 0) (i64.const 8)))))
)
