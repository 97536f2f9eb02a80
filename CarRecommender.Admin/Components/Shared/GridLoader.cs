using MudBlazor;

namespace CarRecommender.Admin.Components.Shared;

/// <summary>
/// The server-data side of a paged grid: runs the page's query, keeps the backend error to show above the grid, and
/// the pager text (a capped total reads "of more than N"). <paramref name="changed"/> re-renders the page when the
/// error appears or clears, since the grid re-renders only itself.
/// </summary>
public sealed class GridLoader<T>(Action changed)
{
    private const string Exact = "{first_item}-{last_item} of {all_items}";
    private const string Capped = "{first_item}-{last_item} of more than {all_items}";

    public string? Error { get; private set; }
    public string PagerInfo { get; private set; } = Exact;

    public async Task<GridData<T>> LoadAsync(Func<Task<CappedPageDto<T>>> query)
    {
        try
        {
            var page = await query();
            var hadError = Error is not null;
            Error = null;
            PagerInfo = page.TotalIsCapped ? Capped : Exact;
            if (hadError) changed();
            return new GridData<T> { Items = page.Items, TotalItems = (int)page.Total };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Error = BackendError.Describe(ex);
            changed();
            return new GridData<T> { Items = [], TotalItems = 0 };
        }
    }
}
