# The demo's training settings, shared by scripts/pipeline.sh (the demo) and
# scripts/learning_curves.sh, so that the curves describe the demo's models. Sourced, not run.
#
# The paper's `motion` model at width 8 (the paper's size is 32, for a GPU) on 64x64 crops, batch 8,
# Adam at 1e-3 halved at 50% and 75% of the run, and the order-invariant photometric loss: a blurred
# image is the same played backwards, so with the plain loss the initial and final frames are
# ambiguous and the model learns their average, the blurred image (scripts/ablations.sh measures it:
# docs/results.md, "What limits learning"). Budgets are in steps, not minutes, so that a slower
# machine trains as far as a fast one: two runs on one machine repeat to the bit, and another
# processor gives the same datasets but may round the training's float sums differently
# (docs/shards.md, "What repeats to the bit"). They are sized for about 10 minutes of training on
# the 2-core development machine.
demo_panorama_train=(--width 8 --crop 64 --batch 8 --lr 1e-3 --schedule paper --order-invariant)
demo_panorama_steps=1400
demo_video_train=(--width 8 --crop 64 --batch 8 --lr 1e-3 --schedule paper --order-invariant)
demo_video_steps=1000
