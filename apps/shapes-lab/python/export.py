"""Write the trained model in transformers.js's LLaVA ONNX layout (FORMATS.md 4), as
packages/runtime/fixtures/make_tiny_llava.py does for random weights: same file names, input/output names,
dynamic axes and config keys, so @locvlm/runtime and transformers.js load it offline."""

import json
import os

import torch

import model as M
from tiny_llama import export_decoder, export_embed_tokens, export_onnx  # noqa: E402  (model.py put it on sys.path)


def export_model(out, c, enc, lm, tok, bins):
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    vision = M.VisionTower(enc, lm.projector).eval()
    embed, decoder = lm.embed.eval(), lm.decoder.eval()
    head_dim = c["hidden"] // c["heads"]
    n_img = M.image_tokens(c)
    size = c["image_size"]
    with torch.no_grad():
        export_onnx(vision, (torch.randn(1, 3, size, size),), os.path.join(out, "onnx", "vision_encoder.onnx"),
                    ["pixel_values"], ["image_features"],
                    {"pixel_values": {0: "batch_size"}, "image_features": {0: "batch_size"}})
        export_embed_tokens(embed, os.path.join(out, "onnx", "embed_tokens.onnx"))
        export_decoder(decoder, c, os.path.join(out, "onnx", "decoder_model_merged.onnx"))

    patch = size // (c["grid"] // c["merge"])  # 16 px per image token: the processor counts (64/16)^2 = 16
    config = {
        "architectures": ["LlavaForConditionalGeneration"],
        "model_type": "llava",
        "image_token_index": tok.image_id,
        "pad_token_id": tok.pad_id,
        "projector_hidden_act": "gelu",
        "vision_feature_layer": -1,
        "vision_feature_select_strategy": "full",
        "image_seq_length": n_img,
        "text_config": {
            "model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": tok.vocab_size,
            "hidden_size": c["hidden"], "intermediate_size": c["inter"], "num_hidden_layers": c["layers"],
            "num_attention_heads": c["heads"], "num_key_value_heads": c["kv_heads"], "head_dim": head_dim,
            "max_position_embeddings": c["max_pos"], "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
            "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": tok.pad_id,
        },
        "vision_config": {
            "model_type": "clip_vision_model", "hidden_size": c["v_hidden"], "intermediate_size": c["v_inter"],
            "num_hidden_layers": c["v_layers"], "num_attention_heads": c["v_heads"], "image_size": size,
            "patch_size": patch, "hidden_act": "gelu",
        },
        "locvlm": {
            "conversation_template": "llava_v1", "image_aspect_ratio": "pad", "codec": f"ivb:bins={bins}",
            "coordinates": {"kind": "ivb", "bins": bins, "frame": "model input (padded square, 64 px)"},
            "trained_by": "apps/shapes-lab/python/train.py",
        },
    }
    preprocessor = {
        "image_processor_type": "CLIPImageProcessor", "processor_class": "LlavaProcessor", "do_resize": True,
        "size": {"shortest_edge": size}, "resample": 3, "do_center_crop": True,
        "crop_size": {"height": size, "width": size}, "do_rescale": True, "rescale_factor": 1 / 255,
        "do_normalize": True, "image_mean": M.CLIP_MEAN, "image_std": M.CLIP_STD, "do_convert_rgb": True,
    }
    processor = {"processor_class": "LlavaProcessor", "image_token": "<image>", "patch_size": patch,
                 "num_additional_image_tokens": 0, "vision_feature_select_strategy": "full"}
    generation = {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": tok.pad_id, "max_new_tokens": 64}
    tj, tc = tok.to_json()

    def write(name, obj):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=None if name == "tokenizer.json" else 1)
            f.write("\n")

    write("config.json", config)
    write("preprocessor_config.json", preprocessor)
    write("processor_config.json", processor)
    write("generation_config.json", generation)
    write("tokenizer.json", tj)
    write("tokenizer_config.json", tc)
