package main

import "github.com/openmessaging/connect-go/worker"

func main() { worker.Main() }
