namespace CarRecommender.Core.Domain;

/// <summary>A model as it is sold new: body styles, price when new (€), power range (kW), fuels, years on sale.</summary>
public sealed record CarModel(string Name, BodyType[] Bodies, int NewPrice, int MinKw, int MaxKw, FuelType[] Fuels, int FirstYear);

/// <summary>A make, its market segment and how common it is on the road (relative weight).</summary>
public sealed record CarMake(string Name, MarketSegment Segment, double Share, CarModel[] Models);

/// <summary>A city listings are located in.</summary>
public sealed record City(string Name, string Country, double Latitude, double Longitude, double Share);

/// <summary>
/// Real makes with their real models and body styles, and European cities with coordinates: the reference data behind
/// the seed generator, the encoder's make segment and the CSV import's normalisation.
/// </summary>
public static class CarCatalogue
{
    private static readonly FuelType[] PD = [FuelType.Petrol, FuelType.Diesel];
    private static readonly FuelType[] PDH = [FuelType.Petrol, FuelType.Diesel, FuelType.Hybrid];
    private static readonly FuelType[] PDHP = [FuelType.Petrol, FuelType.Diesel, FuelType.Hybrid, FuelType.PluginHybrid];
    private static readonly FuelType[] PH = [FuelType.Petrol, FuelType.Hybrid];
    private static readonly FuelType[] PL = [FuelType.Petrol, FuelType.Lpg];
    private static readonly FuelType[] EV = [FuelType.Electric];
    private static readonly FuelType[] D = [FuelType.Diesel];

    public static readonly CarMake[] Makes =
    [
        new("Volkswagen", MarketSegment.Mainstream, 12, [
            new("Golf", [BodyType.Hatchback, BodyType.Estate], 30_000, 66, 180, PDHP, 1995),
            new("Polo", [BodyType.Hatchback], 21_000, 48, 110, PD, 1995),
            new("Passat", [BodyType.Estate, BodyType.Sedan], 42_000, 90, 200, PDHP, 1996),
            new("Tiguan", [BodyType.Suv], 38_000, 96, 235, PDHP, 2007),
            new("T-Roc", [BodyType.Suv], 29_000, 81, 221, PD, 2017),
            new("Touran", [BodyType.Minivan], 33_000, 81, 140, PD, 2003),
            new("ID.3", [BodyType.Hatchback], 38_000, 110, 240, EV, 2020),
            new("ID.4", [BodyType.Suv], 45_000, 109, 250, EV, 2021),
            new("Amarok", [BodyType.Pickup], 48_000, 110, 180, D, 2010)]),
        new("BMW", MarketSegment.Premium, 7, [
            new("1 Series", [BodyType.Hatchback], 33_000, 85, 225, PD, 2004),
            new("3 Series", [BodyType.Sedan, BodyType.Estate], 45_000, 100, 275, PDHP, 1995),
            new("5 Series", [BodyType.Sedan, BodyType.Estate], 58_000, 135, 390, PDHP, 1996),
            new("X1", [BodyType.Suv], 42_000, 100, 233, PDHP, 2009),
            new("X3", [BodyType.Suv], 55_000, 135, 280, PDHP, 2004),
            new("X5", [BodyType.Suv], 80_000, 195, 390, PDHP, 2000),
            new("4 Series", [BodyType.Coupe, BodyType.Convertible], 52_000, 135, 280, PD, 2013),
            new("i4", [BodyType.Sedan], 58_000, 250, 400, EV, 2021)]),
        new("Mercedes-Benz", MarketSegment.Premium, 7, [
            new("A-Class", [BodyType.Hatchback, BodyType.Sedan], 35_000, 80, 225, PD, 1997),
            new("C-Class", [BodyType.Sedan, BodyType.Estate, BodyType.Coupe], 48_000, 115, 300, PDHP, 1995),
            new("E-Class", [BodyType.Sedan, BodyType.Estate], 62_000, 145, 320, PDHP, 1995),
            new("GLC", [BodyType.Suv], 58_000, 145, 300, PDHP, 2015),
            new("GLA", [BodyType.Suv], 42_000, 100, 225, PD, 2014),
            new("V-Class", [BodyType.Minivan], 60_000, 100, 175, D, 2014),
            new("EQA", [BodyType.Suv], 50_000, 140, 215, EV, 2021)]),
        new("Audi", MarketSegment.Premium, 6, [
            new("A3", [BodyType.Hatchback, BodyType.Sedan], 34_000, 81, 228, PDHP, 1996),
            new("A4", [BodyType.Sedan, BodyType.Estate], 45_000, 100, 260, PD, 1995),
            new("A6", [BodyType.Sedan, BodyType.Estate], 60_000, 150, 340, PDHP, 1997),
            new("Q3", [BodyType.Suv], 42_000, 110, 228, PD, 2011),
            new("Q5", [BodyType.Suv], 56_000, 150, 270, PDHP, 2008),
            new("TT", [BodyType.Coupe, BodyType.Convertible], 45_000, 145, 294, [FuelType.Petrol], 1998),
            new("Q4 e-tron", [BodyType.Suv], 52_000, 125, 250, EV, 2021)]),
        new("Opel", MarketSegment.Mainstream, 6, [
            new("Corsa", [BodyType.Hatchback], 20_000, 55, 100, PD, 1995),
            new("Astra", [BodyType.Hatchback, BodyType.Estate], 27_000, 81, 165, PDHP, 1995),
            new("Insignia", [BodyType.Sedan, BodyType.Estate], 36_000, 100, 170, PD, 2008),
            new("Mokka", [BodyType.Suv], 27_000, 74, 115, PD, 2012),
            new("Zafira", [BodyType.Minivan], 30_000, 88, 125, PL, 1999)]),
        new("Ford", MarketSegment.Mainstream, 7, [
            new("Fiesta", [BodyType.Hatchback], 19_000, 55, 147, PD, 1995),
            new("Focus", [BodyType.Hatchback, BodyType.Estate], 27_000, 74, 206, PD, 1998),
            new("Mondeo", [BodyType.Sedan, BodyType.Estate], 36_000, 110, 176, PDH, 1995),
            new("Kuga", [BodyType.Suv], 34_000, 88, 165, PDHP, 2008),
            new("Puma", [BodyType.Suv], 26_000, 92, 147, PH, 2019),
            new("Mustang", [BodyType.Coupe, BodyType.Convertible], 55_000, 213, 338, [FuelType.Petrol], 2015),
            new("Ranger", [BodyType.Pickup], 42_000, 110, 215, D, 1998)]),
        new("Renault", MarketSegment.Mainstream, 5, [
            new("Clio", [BodyType.Hatchback], 19_000, 48, 103, PDH, 1995),
            new("Megane", [BodyType.Hatchback, BodyType.Estate], 26_000, 81, 221, PD, 1996),
            new("Captur", [BodyType.Suv], 25_000, 67, 116, PDHP, 2013),
            new("Scenic", [BodyType.Minivan], 29_000, 85, 120, PD, 1996),
            new("Zoe", [BodyType.Hatchback], 32_000, 65, 100, EV, 2013)]),
        new("Peugeot", MarketSegment.Mainstream, 5, [
            new("208", [BodyType.Hatchback], 21_000, 55, 100, PD, 2012),
            new("308", [BodyType.Hatchback, BodyType.Estate], 28_000, 81, 165, PDHP, 2007),
            new("3008", [BodyType.Suv], 35_000, 96, 165, PDHP, 2009),
            new("5008", [BodyType.Suv], 38_000, 96, 165, PD, 2009),
            new("e-208", [BodyType.Hatchback], 34_000, 100, 115, EV, 2020)]),
        new("Skoda", MarketSegment.Mainstream, 6, [
            new("Fabia", [BodyType.Hatchback, BodyType.Estate], 18_000, 48, 110, PD, 1999),
            new("Octavia", [BodyType.Estate, BodyType.Sedan], 30_000, 81, 180, PDHP, 1996),
            new("Superb", [BodyType.Estate, BodyType.Sedan], 40_000, 110, 206, PDHP, 2001),
            new("Kodiaq", [BodyType.Suv], 40_000, 110, 180, PD, 2016),
            new("Enyaq", [BodyType.Suv], 45_000, 109, 220, EV, 2021)]),
        new("Toyota", MarketSegment.Mainstream, 6, [
            new("Yaris", [BodyType.Hatchback], 20_000, 51, 96, PH, 1999),
            new("Corolla", [BodyType.Hatchback, BodyType.Estate, BodyType.Sedan], 29_000, 90, 145, PH, 1995),
            new("RAV4", [BodyType.Suv], 40_000, 110, 225, [FuelType.Hybrid, FuelType.PluginHybrid, FuelType.Diesel], 1995),
            new("C-HR", [BodyType.Suv], 32_000, 90, 145, PH, 2016),
            new("Hilux", [BodyType.Pickup], 40_000, 110, 150, D, 1995),
            new("Prius", [BodyType.Hatchback], 33_000, 90, 164, [FuelType.Hybrid, FuelType.PluginHybrid], 2000)]),
        new("Hyundai", MarketSegment.Mainstream, 4, [
            new("i20", [BodyType.Hatchback], 19_000, 62, 150, [FuelType.Petrol], 2008),
            new("i30", [BodyType.Hatchback, BodyType.Estate], 25_000, 74, 206, PD, 2007),
            new("Tucson", [BodyType.Suv], 35_000, 110, 195, PDHP, 2004),
            new("Kona", [BodyType.Suv], 28_000, 88, 150, [FuelType.Petrol, FuelType.Hybrid, FuelType.Electric], 2017),
            new("Ioniq 5", [BodyType.Suv], 47_000, 125, 239, EV, 2021)]),
        new("Kia", MarketSegment.Mainstream, 4, [
            new("Picanto", [BodyType.Hatchback], 14_000, 46, 74, [FuelType.Petrol], 2004),
            new("Ceed", [BodyType.Hatchback, BodyType.Estate], 25_000, 74, 150, PDHP, 2007),
            new("Sportage", [BodyType.Suv], 35_000, 100, 195, PDHP, 1995),
            new("Niro", [BodyType.Suv], 33_000, 104, 150, [FuelType.Hybrid, FuelType.PluginHybrid, FuelType.Electric], 2016),
            new("EV6", [BodyType.Suv], 50_000, 125, 430, EV, 2021)]),
        new("Fiat", MarketSegment.Budget, 4, [
            new("500", [BodyType.Hatchback, BodyType.Convertible], 17_000, 51, 74, [FuelType.Petrol, FuelType.Hybrid, FuelType.Electric], 2007),
            new("Panda", [BodyType.Hatchback], 14_000, 44, 62, [FuelType.Petrol, FuelType.Hybrid, FuelType.Lpg], 2003),
            new("Tipo", [BodyType.Hatchback, BodyType.Sedan, BodyType.Estate], 20_000, 70, 96, PD, 2015),
            new("Ducato", [BodyType.Minivan], 38_000, 88, 132, D, 1995)]),
        new("Dacia", MarketSegment.Budget, 4, [
            new("Sandero", [BodyType.Hatchback], 13_000, 49, 74, PL, 2008),
            new("Duster", [BodyType.Suv], 19_000, 74, 110, [FuelType.Petrol, FuelType.Diesel, FuelType.Lpg], 2010),
            new("Jogger", [BodyType.Estate, BodyType.Minivan], 19_000, 74, 103, [FuelType.Petrol, FuelType.Lpg, FuelType.Hybrid], 2022),
            new("Spring", [BodyType.Hatchback], 17_000, 33, 48, EV, 2021)]),
        new("Volvo", MarketSegment.Premium, 3, [
            new("V60", [BodyType.Estate], 48_000, 120, 300, PDHP, 2010),
            new("XC40", [BodyType.Suv], 42_000, 95, 300, [FuelType.Petrol, FuelType.Diesel, FuelType.PluginHybrid, FuelType.Electric], 2017),
            new("XC60", [BodyType.Suv], 56_000, 140, 340, PDHP, 2008),
            new("XC90", [BodyType.Suv], 75_000, 173, 340, PDHP, 2002)]),
        new("Tesla", MarketSegment.Premium, 2, [
            new("Model 3", [BodyType.Sedan], 45_000, 208, 366, EV, 2019),
            new("Model Y", [BodyType.Suv], 50_000, 220, 378, EV, 2021),
            new("Model S", [BodyType.Sedan], 95_000, 310, 760, EV, 2013)]),
        new("Porsche", MarketSegment.Luxury, 1, [
            new("911", [BodyType.Coupe, BodyType.Convertible], 130_000, 283, 478, [FuelType.Petrol], 1995),
            new("Cayenne", [BodyType.Suv], 95_000, 250, 478, [FuelType.Petrol, FuelType.PluginHybrid], 2002),
            new("Macan", [BodyType.Suv], 70_000, 185, 375, [FuelType.Petrol, FuelType.Electric], 2014),
            new("Taycan", [BodyType.Sedan, BodyType.Estate], 100_000, 300, 700, EV, 2020)]),
        new("Land Rover", MarketSegment.Luxury, 1, [
            new("Range Rover", [BodyType.Suv], 120_000, 220, 390, [FuelType.Diesel, FuelType.PluginHybrid], 1995),
            new("Defender", [BodyType.Suv], 70_000, 147, 386, [FuelType.Diesel, FuelType.Petrol], 1995),
            new("Discovery Sport", [BodyType.Suv], 48_000, 120, 227, PD, 2015)]),
    ];

    public static readonly City[] Cities =
    [
        new("Berlin", "DE", 52.520, 13.405, 9), new("Hamburg", "DE", 53.551, 9.994, 6), new("Munich", "DE", 48.137, 11.576, 6),
        new("Cologne", "DE", 50.938, 6.960, 4), new("Frankfurt", "DE", 50.110, 8.682, 4), new("Stuttgart", "DE", 48.776, 9.183, 4),
        new("Düsseldorf", "DE", 51.227, 6.773, 3), new("Leipzig", "DE", 51.340, 12.375, 2), new("Dresden", "DE", 51.050, 13.738, 2),
        new("Hanover", "DE", 52.376, 9.732, 2), new("Nuremberg", "DE", 49.452, 11.077, 2), new("Bremen", "DE", 53.079, 8.801, 2),
        new("Vienna", "AT", 48.208, 16.373, 4), new("Graz", "AT", 47.071, 15.439, 1), new("Zurich", "CH", 47.377, 8.541, 2),
        new("Amsterdam", "NL", 52.368, 4.904, 3), new("Rotterdam", "NL", 51.924, 4.478, 2), new("Brussels", "BE", 50.850, 4.352, 2),
        new("Paris", "FR", 48.857, 2.352, 6), new("Lyon", "FR", 45.764, 4.836, 2), new("Prague", "CZ", 50.076, 14.438, 3),
        new("Warsaw", "PL", 52.230, 21.012, 4), new("Copenhagen", "DK", 55.676, 12.568, 2), new("Milan", "IT", 45.464, 9.190, 3),
    ];

    public static readonly string[] Colours = ["black", "white", "grey", "silver", "blue", "red", "green", "brown", "beige", "yellow", "orange"];

    private static readonly Dictionary<string, CarMake> ByName =
        Makes.ToDictionary(m => m.Name, StringComparer.OrdinalIgnoreCase);

    public static CarMake? FindMake(string make) => ByName.GetValueOrDefault(make.Trim());
}
