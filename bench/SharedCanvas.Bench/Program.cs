using SharedCanvas.Bench;

return await BenchCommand.RunAsync(args);
