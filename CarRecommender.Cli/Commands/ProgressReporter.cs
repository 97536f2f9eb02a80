using CarRecommender.Core.Data;
using Spectre.Console;

namespace CarRecommender.Cli.Commands;

/// <summary>
/// Shows <see cref="LoadProgress"/> reports: progress bars on a terminal, and a line per tenth of each stage when the
/// output is captured (the dashboard's console log, CI), so long work is visible either way.
/// </summary>
public static class ProgressReporter
{
    public static async Task<T> RunAsync<T>(Func<IProgress<LoadProgress>, Task<T>> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive)
            return await work(new LineProgress());

        return await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var bars = new BarProgress(ctx);
                try
                {
                    return await work(bars);
                }
                finally
                {
                    bars.Complete();
                }
            });
    }

    /// <summary>Synchronous (unlike <see cref="Progress{T}"/>), so the bars follow the work without a queue.</summary>
    private sealed class BarProgress(ProgressContext ctx) : IProgress<LoadProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = [];
        private readonly Lock _gate = new();

        public void Report(LoadProgress value)
        {
            lock (_gate)
            {
                if (!_tasks.TryGetValue(value.Stage, out var task))
                {
                    foreach (var other in _tasks.Values) other.StopTask();
                    task = _tasks[value.Stage] = ctx.AddTask(Markup.Escape(value.Stage), maxValue: Math.Max(1, value.Total));
                }
                if (value.Total > 0) task.MaxValue = value.Total;
                else task.IsIndeterminate = true;
                task.Value = value.Done;
            }
        }

        public void Complete()
        {
            lock (_gate)
            {
                foreach (var task in _tasks.Values)
                {
                    if (task.IsIndeterminate) { task.IsIndeterminate = false; task.Value = task.MaxValue; }
                    task.StopTask();
                }
            }
        }
    }

    private sealed class LineProgress : IProgress<LoadProgress>
    {
        private readonly Dictionary<string, long> _lastTenth = [];
        private readonly Lock _gate = new();

        public void Report(LoadProgress value)
        {
            lock (_gate)
            {
                var tenth = value.Total > 0 ? value.Done * 10 / value.Total : value.Done / 100_000;
                if (_lastTenth.TryGetValue(value.Stage, out var last) && last == tenth) return;
                _lastTenth[value.Stage] = tenth;
                var share = value.Total > 0 ? $" {100.0 * value.Done / value.Total:0}%" : "";
                Console.WriteLine($"{value.Stage}:{share} {value.Done:N0}{(value.Total > 0 ? $"/{value.Total:N0}" : "")}");
            }
        }
    }
}
