namespace CarRecommender.Core.Domain;

/// <summary>Body style. The order is part of the content-vector layout (<see cref="Features.ContentEncoder"/>).</summary>
public enum BodyType { Sedan, Hatchback, Estate, Suv, Coupe, Convertible, Minivan, Pickup }

/// <summary>Fuel or drive type. The order is part of the content-vector layout.</summary>
public enum FuelType { Petrol, Diesel, Hybrid, PluginHybrid, Electric, Lpg }

public enum Transmission { Manual, Automatic }

public enum SellerType { Private, Dealer }

public enum ListingStatus { Active, Sold }

public enum UserRole { User, Admin }

/// <summary>What a user did with a listing (or a search they ran).</summary>
public enum InteractionType { View, Save, Unsave, Contact, Dismiss }

/// <summary>Price class of a make; feeds the content vector so a Dacia is not "similar" to a Porsche.</summary>
public enum MarketSegment { Budget, Mainstream, Premium, Luxury }
