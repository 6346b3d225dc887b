"""The peer of `bosun bench tfevents`: TensorBoard's own event-file loader reading every scalar of one file
(EventAccumulator, scalars unlimited). Prints the number of scalars read."""
import sys

from tensorboard.backend.event_processing import event_accumulator

accumulator = event_accumulator.EventAccumulator(sys.argv[1], size_guidance={event_accumulator.SCALARS: 0})
accumulator.Reload()
print(sum(len(accumulator.Scalars(tag)) for tag in accumulator.Tags()["scalars"]))
