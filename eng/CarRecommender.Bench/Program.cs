// eng/bench.sh recommend | admin: see RecommendBench; eng/bench.sh events: see EventsBench.
if (args is ["recommend" or "admin", ..]) return await RecommendBench.RunAsync(args);
if (args is ["events", ..]) return await EventsBench.RunAsync(args);
Console.Error.WriteLine("usage: CarRecommender.Bench events [--rate N] [--seconds N] [--burst-seconds N] [--clients N] [--users N] [--batch N]");
Console.Error.WriteLine("       CarRecommender.Bench recommend [--listings N] [--users N] [--seconds N] [--concurrency N] [--sample N] [--page-runs N]");
Console.Error.WriteLine("       CarRecommender.Bench admin [--listings N] [--users N] [--page-runs N]");
return 2;
