module perscom-bridge/bench/receiver

go 1.19
