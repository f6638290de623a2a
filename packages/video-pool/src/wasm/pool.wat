;; Spatio-temporal pooling kernel (WebAssembly SIMD). Source of src/wasm/pool-wasm.generated.ts;
;; rebuild with `npm run build:wasm -w @locvlm/video-pool` (wabt's wat2wasm).
;;
;; `add_rows` adds `rows` rows of `dim` float32 values, stored contiguously at byte address `input`, to two sums:
;; `patch_sum` (rows x dim: the same patches summed over frames -> spatial tokens) and `frame_sum` (dim: this
;; frame's sum over patches -> its temporal token). Every input value is read once and feeds both sums. The caller
;; passes a frame in cache-sized chunks of rows and clears `frame_sum` before each chunk (it folds the chunk sums
;; into float64 itself), so a float32 sum here never runs over more than one chunk of rows.
;; Sums are float32 (f32x4): four values per instruction. Addresses are in bytes and 16-byte aligned.
(module
  (import "env" "memory" (memory 1))

  (func (export "add_rows")
    (param $input i32) (param $rows i32) (param $dim i32) (param $patch_sum i32) (param $frame_sum i32)
    (local $row i32) (local $end i32) (local $vec_end i32) (local $in i32) (local $frame i32) (local $patch i32)
    (local $v v128) (local $x f32)
    ;; byte length of a row, and of its part handled four values at a time
    (local.set $end (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $vec_end (i32.and (local.get $end) (i32.const -16)))
    (block $all_rows_done
      (loop $each_row
        (br_if $all_rows_done (i32.ge_u (local.get $row) (local.get $rows)))
        ;; $in walks the input row; $frame and $patch walk the two sums at the same byte offset
        (local.set $frame (local.get $frame_sum))
        (local.set $patch (local.get $patch_sum))
        (local.set $in (local.get $input))
        (block $vec_done
          (loop $vec
            (br_if $vec_done (i32.ge_u (i32.sub (local.get $in) (local.get $input)) (local.get $vec_end)))
            (local.set $v (v128.load (local.get $in)))
            (v128.store (local.get $frame) (f32x4.add (v128.load (local.get $frame)) (local.get $v)))
            (v128.store (local.get $patch) (f32x4.add (v128.load (local.get $patch)) (local.get $v)))
            (local.set $in (i32.add (local.get $in) (i32.const 16)))
            (local.set $frame (i32.add (local.get $frame) (i32.const 16)))
            (local.set $patch (i32.add (local.get $patch) (i32.const 16)))
            (br $vec)))
        ;; the last dim % 4 values, one at a time
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (i32.sub (local.get $in) (local.get $input)) (local.get $end)))
            (local.set $x (f32.load (local.get $in)))
            (f32.store (local.get $frame) (f32.add (f32.load (local.get $frame)) (local.get $x)))
            (f32.store (local.get $patch) (f32.add (f32.load (local.get $patch)) (local.get $x)))
            (local.set $in (i32.add (local.get $in) (i32.const 4)))
            (local.set $frame (i32.add (local.get $frame) (i32.const 4)))
            (local.set $patch (i32.add (local.get $patch) (i32.const 4)))
            (br $tail)))
        (local.set $input (i32.add (local.get $input) (local.get $end)))
        (local.set $patch_sum (i32.add (local.get $patch_sum) (local.get $end)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $each_row))))

  ;; Adds `count` float32 values at `source` to float64 values at `target` and zeroes the source, so a float32 sum
  ;; can be folded into a float64 total before it grows long. `count` is a multiple of 4 (the caller pads).
  (func (export "fold_into_f64") (param $source i32) (param $target i32) (param $count i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $source) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $source) (local.get $end)))
        (local.set $v (v128.load (local.get $source)))
        (v128.store (local.get $target)
          (f64x2.add (v128.load (local.get $target)) (f64x2.promote_low_f32x4 (local.get $v))))
        (v128.store offset=16 (local.get $target)
          (f64x2.add (v128.load offset=16 (local.get $target))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        (v128.store (local.get $source) (v128.const i32x4 0 0 0 0))
        (local.set $source (i32.add (local.get $source) (i32.const 16)))
        (local.set $target (i32.add (local.get $target) (i32.const 32)))
        (br $each))))

;; Widens `count` IEEE half floats (u16 bits at `source`) to float32 at `target`, four at a time; `count` is a
  ;; multiple of 4 (the caller pads). Exact for every value: the magnitude bits shifted into float32 position and
  ;; multiplied by 2^112 rebias normal and subnormal halves alike; infinities and NaNs get the float32 exponent.
  (func (export "halves_to_f32") (param $source i32) (param $target i32) (param $count i32)
    (local $end i32) (local $h v128) (local $magnitude v128) (local $shifted v128) (local $value v128)
    (local.set $end (i32.add (local.get $source) (i32.shl (local.get $count) (i32.const 1))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $source) (local.get $end)))
        ;; four halves, zero-extended to one per i32 lane
        (local.set $h (v128.load64_zero (local.get $source)))
        (local.set $h (i32x4.extend_low_i16x8_u (local.get $h)))
        (local.set $magnitude (v128.and (local.get $h) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff)))
        (local.set $shifted (i32x4.shl (local.get $magnitude) (i32.const 13)))
        ;; 2^112 = float32 bits 0x77800000
        (local.set $value (f32x4.mul (local.get $shifted) (v128.const i32x4 0x77800000 0x77800000 0x77800000 0x77800000)))
        ;; exponent 31 (infinity, NaN): float32 exponent 255, mantissa kept
        (local.set $value
          (v128.bitselect
            (v128.or (local.get $shifted) (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000))
            (local.get $value)
            (i32x4.ge_u (local.get $magnitude) (v128.const i32x4 0x7c00 0x7c00 0x7c00 0x7c00))))
        (v128.store (local.get $target)
          (v128.or (local.get $value)
            (i32x4.shl (v128.and (local.get $h) (v128.const i32x4 0x8000 0x8000 0x8000 0x8000)) (i32.const 16))))
        (local.set $source (i32.add (local.get $source) (i32.const 8)))
        (local.set $target (i32.add (local.get $target) (i32.const 16)))
        (br $each))))
)
